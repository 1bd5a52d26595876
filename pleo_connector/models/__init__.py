from . import (
    ir_cron,
    pleo_connection,
    pleo_connection_health,
    pleo_connection_key,
    pleo_connection_vault,
    pleo_key_input,
    res_company,
    res_config_settings,
)
