from . import (
    test_export,
    test_export_network,
    test_export_payables,
    test_export_pipeline,
    test_export_tour,
    test_export_wallet,
    test_i18n,
    test_settings_journal_tour,
    test_vat_return,
    test_views,
    test_wallet_journal,
)
