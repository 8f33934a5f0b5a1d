"""Whether a value is shaped like a secret: a PEM key, a JWT or a GitHub token.

Our messages never quote a value, but an IaC tool may: Pulumi's engine prints a failing
input's value beside our reason ("property owner value {...} has a problem"), and Terraform
points a diagnostic at its attribute. A face reports a failure on a secret-shaped value without
its property path, and names the property in the reason instead (`HIDDEN` says why).

The shapes are looser than any one format on purpose: hiding a harmless value costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SHAPES = re.compile(
    r"-----BEGIN"  # a PEM block: any key, whatever its label
    r"|(?:gh[oprsu]|github_pat)_[A-Za-z0-9_]{16,}"  # GitHub's prefixed tokens
    r"|eyJ[\w-]{4,}\.[\w-]{4,}\."  # a JWT: base64url JSON header, payload, signature
    r"|[A-Za-z0-9+/=_-]{40,}"  # a long opaque run: a key's base64 lines, a 40-hex token
)

HIDDEN = "its value looks like a key, JWT or token, so it is not shown"
"""What a face adds to a reason whose property path it left off."""


def secret_shaped(value: Any) -> bool:
    """True when `value`, or any text nested in it (keys included), looks like a secret."""
    pending = [value]  # a stack, not recursion: any nesting depth is fine
    while pending:
        item = pending.pop()
        if isinstance(item, bytes):
            item = item.decode("latin-1")
        if isinstance(item, str):
            if _SHAPES.search(item):
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return False
