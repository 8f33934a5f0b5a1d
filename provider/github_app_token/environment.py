"""Inputs left out, read from the environment under the names GitHub's own providers use.

Every face fills the same inputs from the same variables (the declaration's `env`), so a
pipeline configured for integrations/github or pulumi-github works unchanged. An issuer or
selector comes from the environment only when its whole role is left out.

`GITHUB_APP_PEM_FILE` holds the key's PEM text (as integrations/github reads it) or the path
of a file that holds it. Its value is never quoted in an error: it may be the key itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .declaration import INPUTS, named
from .errors import ConfigError
from .keys import MAX_PEM

_PEM_MARK = "-----BEGIN"


def _file_text(name: str, var: str, value: str) -> str:
    """The key named by a `_FILE` variable: its own text when it is PEM, else the file's."""
    if _PEM_MARK in value:
        return value
    try:
        with open(os.path.expanduser(value.strip()), encoding="utf-8") as handle:
            return handle.read(MAX_PEM + 1)  # bounded: a longer text is refused by the check
    except (OSError, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else "not UTF-8 text"
        raise ConfigError(
            name, f"{var} is neither PEM text nor the path of a readable file ({why}); set it "
            "to the key's contents or to the path of the .pem file GitHub generated"
        ) from None


def value(name: str, var: str, environ: Mapping[str, str]) -> str | None:
    """`var`'s value for input `name`, or None when unset or empty."""
    found = environ.get(var) or None
    if found is None or not var.endswith("_FILE"):
        return found
    return _file_text(name, var, found)


def fill(values: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`values` (snake_case inputs) with those left out read from the environment."""
    env = os.environ if environ is None else environ
    filled = dict(values)
    for spec in INPUTS:
        group = named(spec.role) if spec.role in ("issuer", "selector") else (spec.name,)
        if spec.name not in filled or not spec.env:
            continue
        if any(filled.get(name) is not None for name in group if name in filled):
            continue
        filled[spec.name] = next(
            (v for var in spec.env if (v := value(spec.name, var, env)) is not None), None)
    return filled
