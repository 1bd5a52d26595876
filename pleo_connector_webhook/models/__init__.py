from . import pleo_webhook_secret, pleo_webhook_event, pleo_connection, res_config_settings
