"""The plugin's wire: camelCase PropertyValues in, snake_case plain values for the core, and back.

Names come from the one declaration. Numbers cross the wire as floats and unknowns as the
engine's sentinel string; the core takes integral floats and `pulumi.output.Unknown`, so only
the sentinel needs translating. Secretness is kept per top-level property.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from ..declaration import INPUTS, OUTPUTS

TO_WIRE: dict[str, str] = {
    **{spec.name: spec.wire for spec in OUTPUTS},
    **{spec.name: spec.wire for spec in INPUTS},
}
TO_SNAKE: dict[str, str] = {wire: name for name, wire in TO_WIRE.items()}
_SNAKE_WORD = re.compile(r"\b(" + "|".join(n for n in TO_WIRE if "_" in n) + r")\b")


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, Computed) or inner == UNKNOWN:
        return Unknown()
    if isinstance(inner, Mapping):
        return {key: _plain(item) for key, item in inner.items()}
    if isinstance(inner, tuple):
        return [_plain(item) for item in inner]
    return inner


def _property(value: Any, secret: bool = False) -> PropertyValue:
    if is_unknown(value):
        return PropertyValue(UNKNOWN, is_secret=secret)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value, is_secret=secret)
    if isinstance(value, (int, float)):
        return PropertyValue(float(value), is_secret=secret)
    if isinstance(value, Mapping):
        return PropertyValue({str(k): _property(v) for k, v in value.items()}, is_secret=secret)
    if isinstance(value, Iterable):
        return PropertyValue([_property(v) for v in value], is_secret=secret)
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def from_wire(props: Mapping[str, PropertyValue]) -> tuple[dict[str, Any], set[str]]:
    """(snake_case plain values, snake names that arrived secret); unknown names pass as-is."""
    values = {TO_SNAKE.get(key, key): _plain(value) for key, value in props.items()}
    secret = {TO_SNAKE.get(key, key) for key, value in props.items() if value.contains_secret()}
    return values, secret


def to_wire(values: Mapping[str, Any], secret: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """camelCase PropertyValues for snake_case values; `secret` names (and `token`) as secrets."""
    hidden = {*secret, *(spec.name for spec in OUTPUTS if spec.secret)}
    return {TO_WIRE.get(name, name): _property(value, name in hidden)
            for name, value in values.items() if value is not None}


def wire_name(path: str) -> str:
    """`repository_ids[3]` -> `repositoryIds[3]`."""
    head, bracket, rest = path.partition("[")
    return TO_WIRE.get(head, head) + bracket + rest


def wire_text(text: str) -> str:
    """A core message with its snake_case property names spelled as this face spells them."""
    return _SNAKE_WORD.sub(lambda match: TO_WIRE[match.group(1)], text)
