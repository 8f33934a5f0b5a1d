"""Primary rate-limit bookkeeping: requests counted per identity per emulator hour.

Counting only feeds the `x-ratelimit-*` headers (docs/github-behaviour.md §5); the emulator
never blocks on its own, so long test runs cannot trip it. Tests provoke limits with faults.
"""

from __future__ import annotations

# §5: installation tokens get at least 5000/h; we use the same for apps. 60/h unauthenticated.
AUTHENTICATED_LIMIT = 5000
ANONYMOUS_LIMIT = 60
WINDOW = 3600


class RateCounter:
    """Not locked itself: its caller holds `state.lock` (see state.py)."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], int] = {}

    def count(self, identity: str, limit: int, now: float) -> dict[str, str]:
        """Count one request for `identity` and return the headers describing the window."""
        window = int(now // WINDOW)
        key = (identity, window)
        self._used[key] = self._used.get(key, 0) + 1
        used = self._used[key]
        return headers(limit, max(0, limit - used), used, (window + 1) * WINDOW)


def headers(limit: int, remaining: int, used: int, reset: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Used": str(used),
        "X-RateLimit-Resource": "core",
    }
