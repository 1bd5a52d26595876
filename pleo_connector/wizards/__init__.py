from . import pleo_rotate_key, validate_account_move
