"""When a token must be re-minted, and what a change of inputs means for it.

Pure functions of state and the clock: diff makes no network calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .inputs import SCOPE, SETTINGS


def expiry_epoch(expires_at: str) -> float:
    """Seconds since the epoch for GitHub's RFC 3339 `expires_at`."""
    return datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp()


def seconds_left(expires_at: Any, now: float) -> float:
    """Seconds of life left; a missing or unparsable expiry counts as expired."""
    try:
        return expiry_epoch(str(expires_at)) - now
    except ValueError:
        return 0.0


def is_expired(outs: Mapping[str, Any], now: float) -> bool:
    return not outs.get("token") or seconds_left(outs.get("expires_at"), now) <= 0


def due_for_renewal(outs: Mapping[str, Any], renew_before: float, now: float) -> bool:
    """Expired, or fewer than `renew_before` seconds left."""
    return is_expired(outs, now) or seconds_left(outs.get("expires_at"), now) < renew_before


def _canon(value: Any) -> Any:
    """Compare engine values (ints arrive as floats, tuples as lists) by meaning."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return tuple(_canon(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, _canon(v)) for k, v in value.items()))
    return value


def _old_input(olds: Mapping[str, Any], name: str) -> Any:
    # Outputs hold the *resolved* installation_id; it was an input only without owner/repository.
    if name == "installation_id" and (olds.get("owner") or olds.get("repository")):
        return None
    return olds.get(name)


def plan(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    now: float,
    is_unknown: Callable[[Any], bool],
    fingerprint_of: Callable[[str], str],
) -> tuple[list[str], list[str]]:
    """(keys that force a new token, keys updated in place) for old outputs -> new inputs."""
    def changed(name: str, old: Any) -> bool:
        new = news.get(name)
        return is_unknown(new) or _canon(new) != _canon(old)

    replaces = [name for name in SCOPE if changed(name, _old_input(olds, name))]
    renew_before = news.get("renew_before")
    if is_unknown(renew_before) or renew_before is None:
        renew_before = olds.get("renew_before") or 0
    if due_for_renewal(olds, float(renew_before), now):
        replaces.append("expires_at")

    updates = [name for name in SETTINGS if changed(name, olds.get(name))]
    key = news.get("private_key")
    if is_unknown(key) or (key and fingerprint_of(key) != olds.get("key_fingerprint")):
        updates.append("private_key")
    return replaces, updates
