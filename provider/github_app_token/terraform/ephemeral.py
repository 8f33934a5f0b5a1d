"""Ephemeral `githubapp_installation_token`: minted when OpenTofu opens it, revoked at Close.

OpenTofu opens an ephemeral resource in the plan phase and again in the apply phase, and
closes each one it opened, so every token minted is revoked by the end of the command. The
token is in the result (never in a plan or state) and in `private`, which OpenTofu keeps in
memory only, to hand back to Renew and Close. A GitHub token cannot be extended: `renew_at` is
left unset, and Renew returns `private` unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import lifecycle
from ..errors import ConfigError
from ..inputs import parse_inputs
from . import config as provider
from .diagnostics import Diagnostic
from .schema import EPHEMERAL_TOKEN, names

ATTRIBUTES = names(EPHEMERAL_TOKEN)
ARGUMENTS = tuple(a.name for a in EPHEMERAL_TOKEN if "optional" in a.mode)
_PRIVATE = ("token", "base_url", "expires_at", "clock_offset", "installation_id")
"""What Close needs to revoke the token, judged on GitHub's clock."""


def validate(settings: provider.Settings, config: Mapping[str, Any]) -> list[Diagnostic]:
    return provider.check(settings, _arguments(config))[1]


def _arguments(config: Mapping[str, Any]) -> dict[str, Any]:
    return {name: config.get(name) for name in ARGUMENTS}


def open_token(settings: provider.Settings, config: Mapping[str, Any]
               ) -> tuple[dict[str, Any], bytes]:
    """(result, private) for a freshly minted token."""
    arguments = _arguments(config)
    outs = lifecycle.mint(parse_inputs(settings.props(arguments)))
    private = json.dumps({name: outs[name] for name in _PRIVATE}).encode()
    given = {name: value for name, value in arguments.items() if value is not None}
    return {**{name: outs.get(name) for name in ATTRIBUTES}, **given}, private


def close_token(private: bytes) -> None:
    """Revoke the token `private` holds (not when it is dead by GitHub's clock)."""
    if not private:
        return
    try:
        outs = json.loads(private)
    except ValueError:
        raise ConfigError("private", "is not what this provider's Open returned; nothing was "
                                     "revoked") from None
    lifecycle.revoke(outs)
