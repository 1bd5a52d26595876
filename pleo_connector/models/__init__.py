from . import (
    account_move,
    pleo_connection,
    pleo_connection_export,
    pleo_connection_health,
    pleo_connection_vault,
    pleo_export_item,
    pleo_export_job,
    pleo_export_mapping,
    pleo_key_input,
    res_company,
    res_config_settings,
    res_config_settings_export,
)
