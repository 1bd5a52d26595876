from . import test_route, test_webhook
