from . import (
    account_move,
    pleo_connection,
    pleo_export_item,
    pleo_export_job,
    pleo_export_mapping,
    pleo_unmapped_code,
    res_config_settings,
    res_partner,
)
