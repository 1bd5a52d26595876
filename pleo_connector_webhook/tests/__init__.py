from . import test_i18n, test_route, test_webhook
