from . import (
    account_move,
    pleo_connection,
    pleo_connection_export,
    pleo_export_item,
    pleo_export_job,
    pleo_export_mapping,
    res_company,
    res_config_settings,
    res_config_settings_export,
)
