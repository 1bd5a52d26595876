from . import (
    test_i18n,
    test_setup_sync,
    test_setup_sync_selection,
)
