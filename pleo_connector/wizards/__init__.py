from . import pleo_rotate_key
