"""Resource `githubapp_installation_token`: a token kept in state, for values that must persist.

- plan: the core decides (lifecycle.plan) whether the token must be replaced, by GitHub's
  clock; `RequiresReplace` marks why, and a warning says it in words. With
  `lifecycle { create_before_destroy = true }` dependents get the new token before the old
  one is revoked;
- apply: mint, update settings in place, or revoke on destroy;
- refresh drops a dead token (expired by GitHub's clock, or refused by GitHub);
- import is refused: GitHub shows a token only once.

Terraform's state model requires the token in state: encrypt the state (OpenTofu's state
encryption), or use the ephemeral kind, which is never stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import lifecycle
from ..declaration import BY_NAME
from ..inputs import parse_inputs
from ..keys import key_fingerprint
from . import config as provider
from . import diagnostics
from .diagnostics import Diagnostic
from .schema import FROM_PROVIDER, MANAGED_TOKEN, TOKEN, names
from .values import UNKNOWN, is_unknown

ATTRIBUTES = names(MANAGED_TOKEN)
ARGUMENTS = tuple(a.name for a in MANAGED_TOKEN if "optional" in a.mode)
DEFAULTS = {name: BY_NAME[name].default for name in ("renew_before", "revoke_on_delete")}
_ATTRIBUTE_OF = {"private_key": "key_fingerprint"}
"""Plan names that are not attributes here: the provider's key shows as its fingerprint."""

NOT_IMPORTABLE = (
    f"A {TOKEN} cannot be imported: GitHub shows a token only once, when it is minted, so "
    "there is nothing to read back. Remove the import, declare the resource, and run "
    "`tofu apply` to mint a fresh token (or use the ephemeral resource, never stored)"
)

State = dict[str, Any]


def _arguments(config: Mapping[str, Any]) -> State:
    given = {name: config.get(name) for name in ARGUMENTS}
    return {name: DEFAULTS[name] if given[name] is None and name in DEFAULTS else given[name]
            for name in given}


def validate(settings: provider.Settings, config: Mapping[str, Any]) -> list[Diagnostic]:
    return provider.check(settings, _arguments(config))[1]


def upgrade(raw_json: bytes) -> State:
    """State of schema version 0, as stored (every attribute present)."""
    raw = json.loads(raw_json or b"{}")
    return {name: raw.get(name) for name in ATTRIBUTES}


def _desired(settings: provider.Settings, config: Mapping[str, Any]
             ) -> tuple[State, list[Diagnostic]]:
    """What the configuration asks for, in the core's names (with the provider's key)."""
    arguments = _arguments(config)
    checked, found = provider.check(settings, arguments)
    app = {name: checked[name] for name in FROM_PROVIDER}
    return {**arguments, **app, "private_key": settings.private_key}, found


def _fresh(news: State) -> State:
    """The planned state of a token yet to be minted: what it will hold, else unknown."""
    planned = {name: news.get(name, UNKNOWN) for name in ATTRIBUTES}
    planned.update({name: UNKNOWN for name in ("id", "token", "key_fingerprint")})
    if planned["installation_id"] is None:
        planned["installation_id"] = UNKNOWN  # found from owner or repository at apply
    return planned


def plan(settings: provider.Settings, prior: State | None, config: Mapping[str, Any] | None
         ) -> tuple[State | None, list[str], list[Diagnostic]]:
    """(planned state, attributes that force a replacement, diagnostics)."""
    if config is None:
        return None, [], []
    news, found = _desired(settings, config)
    if found:
        return None, [], found
    if prior is None:
        return _fresh(news), [], []
    replaces, updates = lifecycle.plan(prior, news, None, is_unknown)
    if replaces:
        why = lifecycle.explain(prior, news, None, is_unknown)
        detail = "; ".join(why[name] for name in replaces if name in why)
        return (_fresh(news), [_ATTRIBUTE_OF.get(n, n) for n in replaces],
                [diagnostics.warning(f"{TOKEN} will be replaced", detail)])
    planned = {**prior, **{name: news[name] for name in ARGUMENTS}}
    if "private_key" in updates:
        key = settings.private_key
        planned["key_fingerprint"] = UNKNOWN if is_unknown(key) else key_fingerprint(key)
    return planned, [], []


def apply(settings: provider.Settings, prior: State | None, planned: State | None,
          config: Mapping[str, Any] | None) -> State | None:
    """The new state: minted, updated in place, or None once revoked."""
    if planned is None:
        if prior is not None:
            lifecycle.revoke(prior)
        return None
    news, _ = _desired(settings, config or {})
    spec = parse_inputs(news)
    if prior is None:
        outs = lifecycle.mint(spec)
        outs["id"] = lifecycle.new_id(outs)
    else:
        outs = lifecycle.update(prior, spec)
    state = {name: outs.get(name) for name in ATTRIBUTES}
    state.update({name: value for name, value in planned.items() if not is_unknown(value)})
    return state


def read(state: State) -> State | None:
    """The state, or None when the token is dead (refresh then drops it)."""
    return state if lifecycle.still_live(state) else None
