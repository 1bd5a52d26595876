from . import pleo_map_code, validate_account_move
