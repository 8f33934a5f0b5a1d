"""The one clock every renewal and JWT decision reads, and GitHub's clock as its `Date` shows it.

GitHub's clock is believed only when it fits the answer (`token_clock`); what is not believed
is said with a warning on `log`, the runtime's one logger, which each face shows its user.

`now()` is a function of its own so a test can move this process's notion of time (the
emulator's launcher, github_app_emulator/follow.py) without touching the process-wide
`time.time` that gRPC needs.
Durations (deadlines, backoff) use `time.monotonic`, which no demo moves and no wall-clock
step disturbs.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time

log = logging.getLogger("github_app_token")
"""The runtime's one logger: its WARNINGs are what the faces show users as warnings."""

GRANT = 3600.0
"""Seconds GitHub grants an installation token: an hour."""
MAX_LIFETIME = GRANT + 60.0
"""The longest lifetime that fits GitHub's grant, with room for `Date`'s whole seconds."""
MAX_OFFSET = 86400.0
"""Seconds GitHub's clock may be off ours (a day); a `Date` further off is not believed."""

_DIGITS = re.compile(r"\s*([0-9]+)\s*", re.ASCII)
_FOREVER = 10**12
"""Seconds that stand for "longer than anyone waits" (a Retry-After of absurd length)."""


def now() -> float:
    """Seconds since the epoch."""
    return time.time()


def http_date(value: str | None) -> float | None:
    """Seconds since the epoch for an HTTP date (`Date`, `Retry-After`), or None."""
    if not value or len(value) > 100:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
        return float(email.utils.mktime_tz(parsed)) if parsed else None
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def seconds(value: str | None) -> int | None:
    """A non-negative count of seconds written in ASCII digits (`Retry-After: 30`), or None."""
    match = _DIGITS.fullmatch(value or "") if len(value or "") < 10_000 else None
    if match is None:
        return None
    digits = match.group(1).lstrip("0") or "0"
    return _FOREVER if len(digits) > 12 else int(digits)


def github_offset(date_header: str | None) -> float | None:
    """Seconds GitHub's clock is ahead of ours, from a response's `Date` header, or None."""
    github_now = http_date(date_header)
    # `Date` has whole seconds, cut down: the middle of that second is the best estimate.
    return None if github_now is None else github_now + 0.5 - now()


def believable(offset: float | None) -> float | None:
    """`offset` when it is within a day (MAX_OFFSET) of our clock, else None."""
    return offset if offset is not None and abs(offset) <= MAX_OFFSET else None


def token_clock(expires: float, offset: float | None, ours: float) -> tuple[float, float]:
    """(clock offset, granted lifetime) of a token that expires at `expires`, minted at `ours`
    (this machine's clock).

    GitHub's clock (`offset`, from the answer's `Date`) is believed when it fits the answer:
    within a day of ours, and granting at most GitHub's hour; a token already dead on that
    clock is refused (ValueError). A `Date` that is missing or does not fit gives way, with a
    warning, to our clock when the expiry fits it, else to the grant itself (GitHub minted the
    token just now, for an hour). An expiry more than a day from either is refused, so no
    answer can freeze renewal.
    """
    sane = believable(offset)
    if sane is not None:
        lifetime = expires - (ours + sane)
        if lifetime <= 0:
            raise ValueError("`expires_at` is already past on GitHub's own clock")
        if lifetime <= MAX_LIFETIME:
            return sane, _whole(lifetime)
    if 0 < expires - ours <= MAX_LIFETIME:
        if offset is not None:
            log.warning(_DISTRUSTED, "this machine's clock")
        return 0.0, _whole(expires - ours)
    inferred = believable(expires - GRANT - ours)
    if inferred is None:
        raise ValueError("`expires_at` is more than a day from both GitHub's `Date` header and "
                         "this machine's clock; check this machine's clock")
    log.warning(_DISTRUSTED, "the hour GitHub grants, counted from now")
    return inferred, GRANT


def _whole(lifetime: float) -> float:
    """Whole seconds; within 2 s of GitHub's hour, the hour (`Date` has whole seconds)."""
    return GRANT if abs(lifetime - GRANT) <= 2 else float(round(lifetime))


_DISTRUSTED = (
    "GitHub's answer has no Date header that fits the token it minted (a Date more than a day "
    "off this machine's clock, or more than an hour before expires_at), so the token's expiry "
    "is judged on %s. Check this machine's clock and any proxy between it and GitHub")
