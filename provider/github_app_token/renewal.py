"""When a token must be re-minted, and what a change of inputs means for it.

Pure functions of state and the clock: diff makes no network calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from . import clock
from .inputs import SCOPE, SETTINGS

DEAD_MARGIN = 5.0
"""Seconds past expiry (by GitHub's clock) before we call a token dead without asking."""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _offset(outs: Mapping[str, Any]) -> float | None:
    """The offset measured at mint, unless absent or absurd (state written before the check)."""
    return clock.believable(_number(outs.get("clock_offset")))


def github_time(outs: Mapping[str, Any], now: float) -> float:
    """GitHub's clock, from ours and the offset measured when the token was minted."""
    return now + (_offset(outs) or 0.0)


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
    """No token, or no life left at `now` (GitHub's clock): time to mint a new one."""
    return not outs.get("token") or seconds_left(outs.get("expires_at"), now) <= 0


def is_dead(outs: Mapping[str, Any], now: float) -> bool:
    """Provably unusable at `now` (GitHub's clock), so neither read nor delete need ask GitHub.

    Only with an offset measured at mint and a parsable expiry: otherwise GitHub decides.
    """
    if not outs.get("token"):
        return True
    if _offset(outs) is None:
        return False
    try:
        return expiry_epoch(str(outs.get("expires_at"))) + DEAD_MARGIN < now
    except ValueError:
        return False


def window(outs: Mapping[str, Any], renew_before: float) -> float:
    """Seconds before expiry that renewal starts: `renew_before`, or half the lifetime GitHub
    granted when that is less, so a short-lived token renews once per half-life, not on every
    run. State written before `lifetime` was kept has only `renew_before`."""
    lifetime = _number(outs.get("lifetime"))
    return min(renew_before, lifetime / 2) if lifetime and lifetime > 0 else renew_before


def due_for_renewal(outs: Mapping[str, Any], renew_before: float, now: float) -> bool:
    """Expired, inside the renewal window, or expiring later than GitHub ever grants (an
    expiry that no clock check vouched for must not keep a token forever)."""
    left = seconds_left(outs.get("expires_at"), now)
    return is_expired(outs, now) or left < window(outs, renew_before) or left > clock.MAX_LIFETIME


def _why_due(outs: Mapping[str, Any], renew_before: float, now: float) -> str:
    left = seconds_left(outs.get("expires_at"), now)
    if is_expired(outs, now):
        return "the token has expired"
    if left > clock.MAX_LIFETIME:
        return f"expires in {int(left)} s, later than GitHub grants ({clock.GRANT:.0f} s)"
    if window(outs, renew_before) < renew_before:
        return (f"expires in {int(left)} s, within half its granted lifetime "
                f"({int(window(outs, renew_before))} s, less than renew_before)")
    return f"expires in {int(left)} s, within renew_before ({int(renew_before)} s)"


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


def reasons(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    now: float,
    is_unknown: Callable[[Any], bool],
    fingerprint_of: Callable[[str], str],
) -> dict[str, str]:
    """Each property that changes, and why: scope and `expires_at` first, then updates.

    `now` is GitHub's clock (see github_time).
    """
    why: dict[str, str] = {}

    def changed(name: str, old: Any) -> None:
        new = news.get(name)
        if is_unknown(new):
            why[name] = f"{name} is not known until apply"
        elif _canon(new) != _canon(old):
            why[name] = f"{name} changed"

    for name in SCOPE:
        changed(name, _old_input(olds, name))
    renew_before = news.get("renew_before")
    if is_unknown(renew_before) or renew_before is None:
        renew_before = olds.get("renew_before") or 0
    if due_for_renewal(olds, float(renew_before), now):
        why["expires_at"] = _why_due(olds, float(renew_before), now)
    for name in SETTINGS:
        changed(name, olds.get(name))
    key = news.get("private_key")
    if is_unknown(key):
        why["private_key"] = "private_key is not known until apply"
    elif key and fingerprint_of(key) != olds.get("key_fingerprint"):
        why["private_key"] = "private_key rotated (its fingerprint differs)"
    return why


def plan(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    now: float,
    is_unknown: Callable[[Any], bool],
    fingerprint_of: Callable[[str], str],
) -> tuple[list[str], list[str]]:
    """(keys that force a new token, keys updated in place) for old outputs -> new inputs."""
    why = reasons(olds, news, now, is_unknown, fingerprint_of)
    replaces = [name for name in why if name in SCOPE or name == "expires_at"]
    return replaces, [name for name in why if name not in replaces]
