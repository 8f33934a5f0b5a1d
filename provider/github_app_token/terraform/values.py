"""Terraform's values as plain Python, and back: msgpack DynamicValues and cty type names.

A DynamicValue is an object in msgpack: a map holding every attribute of the schema, nil for
null. An unknown value is msgpack extension 0 (a refined unknown, 12, is read the same way).
Numbers arrive as ints, floats, or (too large for both) decimal strings; the core's validators
accept all three. Values the core gets are plain dicts, lists, str, int, float, bool, None and
`UNKNOWN`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import msgpack

from .tfplugin6_pb2 import DynamicValue

_UNKNOWN_EXT = (0, 12)


class _Unknown:
    """A value Terraform will know only at apply (one instance: UNKNOWN)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def _ext(code: int, data: bytes) -> Any:
    if code in _UNKNOWN_EXT:
        return UNKNOWN
    return msgpack.ExtType(code, data)


def _default(value: Any) -> Any:
    if value is UNKNOWN:
        return msgpack.ExtType(0, b"\x00")
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Terraform")


def decode(value: DynamicValue | None) -> dict[str, Any] | None:
    """The object a DynamicValue holds, or None when it is null or absent."""
    if value is None:
        return None
    if value.msgpack:
        found = msgpack.unpackb(value.msgpack, ext_hook=_ext, raw=False, strict_map_key=False)
    elif value.json:
        found = json.loads(value.json)
    else:
        return None
    return found if isinstance(found, dict) else None


def encode(values: Mapping[str, Any] | None, attributes: Iterable[str]) -> DynamicValue:
    """`values` as an object of exactly `attributes` (missing ones null); None is null."""
    if values is None:
        return DynamicValue(msgpack=msgpack.packb(None))
    whole = {name: values.get(name) for name in attributes}
    return DynamicValue(msgpack=msgpack.packb(whole, default=_default, use_bin_type=True))


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def cty_type(schema: Mapping[str, Any]) -> bytes:
    """The JSON of the cty type for a declaration's schema fragment."""
    return json.dumps(_cty(schema), separators=(",", ":")).encode()


def _cty(schema: Mapping[str, Any]) -> Any:
    kind = schema["type"]
    if kind == "array":
        return ["list", _cty(schema["items"])]
    if kind == "object":
        return ["map", _cty(schema["additionalProperties"])]
    return {"integer": "number", "number": "number", "string": "string",
            "boolean": "bool"}[kind]
