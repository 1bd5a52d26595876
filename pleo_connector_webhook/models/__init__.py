from . import pleo_connection, pleo_webhook_event, pleo_webhook_secret, res_config_settings
