from . import test_connect, test_health, test_safety
