from . import pleo_connection, res_company, res_config_settings
