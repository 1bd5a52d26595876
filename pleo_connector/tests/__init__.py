from . import (
    test_concurrency,
    test_connect,
    test_export,
    test_export_payables,
    test_export_pipeline,
    test_health,
    test_hostile,
    test_i18n,
    test_leaks,
    test_migration,
    test_safety,
    test_tour,
)
