"""The shape checks of Pleo's answers, shared by the API modules (no Odoo import).

An answer without the expected shape is an :class:`~.errors.UnexpectedResponseError` whose
message names the value (``data.status``) and what it should have been, never a ``KeyError`` or
a ``TypeError`` of the caller.
"""

from .errors import UnexpectedResponseError


def shape_error(where, expected):
    """The error for a JSON answer lacking ``where`` of type ``expected`` ("an object")."""
    return UnexpectedResponseError(
        f"Pleo's answer did not have the expected shape ({where} is missing or not {expected}). "
        "The Pleo API may have changed; try again later or contact support."
    )


def json_object(value, where):
    """``value`` if it is a JSON object, else raise the shape error naming ``where``."""
    if not isinstance(value, dict):
        raise shape_error(where, "an object")
    return value


def json_list(value, where):
    """``value`` if it is a JSON list, else raise the shape error naming ``where``."""
    if not isinstance(value, list):
        raise shape_error(where, "a list")
    return value


def json_value(obj, name, kinds, where, required=True):
    """``obj[name]`` if of ``kinds`` (``None`` allowed when not ``required``), else raise the
    shape error naming ``where + name``; a ``bool`` is not an ``int`` here."""
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        label = " or ".join(kind.__name__ for kind in kinds)
        raise shape_error(f"{where}{name}", label)
    return value
