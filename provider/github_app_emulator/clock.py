"""The emulator's notion of "now": real time plus an offset that tests can shift."""

from __future__ import annotations

import math
import time
from email.utils import formatdate

# How far the clock may be moved from real time: 50 years either way keeps every date the
# emulator prints (Date headers, expires_at) inside what time.gmtime and formatdate accept.
MAX_OFFSET = 50 * 365 * 86400


class Clock:
    """Wall clock with a cumulative offset.

    Shifting (instead of freezing) keeps time moving, so delays and timeouts still behave,
    while Date headers, JWT checks and token expiry all move together.
    """

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        """Seconds the emulator is ahead of the real clock (negative: behind)."""
        return self._offset

    def shift(self, seconds: float) -> None:
        offset = self._offset + float(seconds)
        if not math.isfinite(offset) or abs(offset) > MAX_OFFSET:
            raise ValueError(f"the clock may move at most {MAX_OFFSET} s from real time")
        self._offset = offset


def http_date(timestamp: float) -> str:
    """RFC 7231 IMF-fixdate, e.g. `Thu, 08 Jun 2023 07:39:25 GMT`."""
    return formatdate(timestamp, usegmt=True)


def iso8601(timestamp: float) -> str:
    """RFC 3339 UTC, second precision, `Z`: `expires_at` (docs/github-behaviour.md §2)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
