from . import test_connect, test_health
