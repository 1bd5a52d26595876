from . import test_webhook
