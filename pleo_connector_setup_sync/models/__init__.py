from . import pleo_connection, pleo_setup_record, res_config_settings
