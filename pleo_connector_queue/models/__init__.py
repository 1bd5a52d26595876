from . import ir_cron, pleo_connection, pleo_export_job
