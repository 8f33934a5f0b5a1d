"""The one clock every renewal and JWT decision reads.

A function of its own so a demo can move this process's notion of time
(tests/support/timewarp.py) without touching the process-wide `time.time` that gRPC needs.
"""

from __future__ import annotations

import time


def now() -> float:
    """Seconds since the epoch."""
    return time.time()
