from . import pleo_map_code, pleo_rotate_key, validate_account_move
