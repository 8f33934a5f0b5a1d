"""The one clock every renewal and JWT decision reads, and GitHub's clock as its `Date` shows it.

`now()` is a function of its own so a test can move this process's notion of time (the
emulator's launcher, github_app_emulator/follow.py) without touching the process-wide
`time.time` that gRPC needs.
Durations (deadlines, backoff) use `time.monotonic`, which no demo moves and no wall-clock
step disturbs.
"""

from __future__ import annotations

import email.utils
import re
import time

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
