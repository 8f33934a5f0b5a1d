"""Stand-in for `github_app_token.lifecycle` until that module lands on this branch.

Same names and signatures (mint, new_id, plan, explain, update, still_live, revoke), built
from the dynamic provider's hooks, so the plugin face switches by changing one import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .. import clock, renewal
from ..inputs import TokenInputs
from ..provider import InstallationTokenProvider, _fingerprint

_DYNAMIC = InstallationTokenProvider()


def _never_unknown(_value: Any) -> bool:
    return False


def _props(spec: TokenInputs) -> dict[str, Any]:
    return {**spec.echo(), "private_key": spec.private_key}


def mint(spec: TokenInputs) -> dict[str, Any]:
    return dict(_DYNAMIC.create(_props(spec)).outs or {})


def new_id(outs: Mapping[str, Any]) -> str:
    return f"{int(outs['installation_id'])}-{uuid.uuid4().hex[:16]}"


def plan(olds: Mapping[str, Any], news: Mapping[str, Any], now: float | None = None,
         is_unknown: Callable[[Any], bool] = _never_unknown) -> tuple[list[str], list[str]]:
    when = clock.now() if now is None else now
    return renewal.plan(olds, news, when, is_unknown, _fingerprint)


def explain(olds: Mapping[str, Any], news: Mapping[str, Any], now: float | None = None,
            is_unknown: Callable[[Any], bool] = _never_unknown) -> dict[str, str]:
    replaces, updates = plan(olds, news, now, is_unknown)
    reasons = {name: "changed" for name in (*replaces, *updates)}
    if "expires_at" in reasons:
        reasons["expires_at"] = "expires within renew_before"
    return reasons


def update(olds: Mapping[str, Any], spec: TokenInputs) -> dict[str, Any]:
    return dict(_DYNAMIC.update("", dict(olds), _props(spec)).outs or {})


def still_live(outs: Mapping[str, Any], now: float | None = None) -> bool:
    return _DYNAMIC.read("live", dict(outs)).id is not None


def revoke(outs: Mapping[str, Any], now: float | None = None) -> None:
    _DYNAMIC.delete("", dict(outs))
