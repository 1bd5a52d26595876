from . import test_connect
