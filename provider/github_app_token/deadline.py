"""How long one client operation may take, whatever the server does.

Every operation of the client (mint, lookup, liveness check, revoke) finishes or fails
within one deadline: `DEFAULT_SECONDS` (120 s), or the number of seconds in the
environment variable `GITHUB_APP_TOKEN_TIMEOUT`. The deadline covers connecting, each
read (timeouts shrink to the time left), bodies that trickle in (checked between
chunks), backoff between retries, and every wait a server asks for (`Retry-After` on
any status, rate-limit resets): a wait longer than the time left fails at once, with
GitHub's answer and the wait it asked for.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from urllib3.util.timeout import Timeout

from .errors import ConfigError, DeadlineError

ENV = "GITHUB_APP_TOKEN_TIMEOUT"
DEFAULT_SECONDS = 120.0
MAX_SECONDS = 3600.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
"""Per-attempt ceilings; each shrinks further to the time left."""
MIN_ATTEMPT = 0.05
"""Seconds an attempt needs at least; with less left we fail instead of starting one."""


def seconds_from_env(environ: Mapping[str, str] | None = None) -> float:
    """The deadline in seconds: `GITHUB_APP_TOKEN_TIMEOUT` if set, else `DEFAULT_SECONDS`."""
    raw = (os.environ if environ is None else environ).get(ENV)
    if raw is None or not raw.strip():
        return DEFAULT_SECONDS
    try:
        value = float(raw.strip()) if len(raw) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        shown = raw if len(raw) <= 32 else raw[:32] + "..."
        raise ConfigError(
            ENV, f"must be a number of seconds above 0 and at most {MAX_SECONDS:g} (e.g. 120), "
            f"not {shown!r}; fix or unset it"
        )
    return value


class Deadline:
    """The moment an operation must be done by, on the monotonic clock."""

    def __init__(self, seconds: float, operation: str) -> None:
        self.seconds = seconds
        self.operation = operation
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def before_end(self, reserve: float) -> Deadline:
        """A deadline `reserve` seconds earlier, keeping time for a clean-up inside this one."""
        inner = Deadline(self.seconds, self.operation)
        inner._end = self._end - reserve
        return inner

    def error(self, cause: str, *, sent: bool = True) -> DeadlineError:
        return DeadlineError(self.operation, self.seconds, cause, sent=sent)

    def check(self, cause: str) -> None:
        if self.expired():
            raise self.error(cause)

    def __repr__(self) -> str:
        return f"<Deadline {self.operation} {self.remaining():.1f}/{self.seconds:g} s left>"


_current: ContextVar[Deadline | None] = ContextVar("github_app_token_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the HTTP call running in this thread, for urllib3's Retry to read."""
    return _current.get()


@contextmanager
def running(deadline: Deadline) -> Iterator[Deadline]:
    """Make `deadline` the one `current()` returns while an HTTP call runs."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


class DeadlineTimeout(Timeout):
    """urllib3's Timeout whose connect and read timeouts never outlast the deadline.

    urllib3 clones it for every attempt and reads the properties as it connects and as
    it starts reading, so each retry gets only the time that is left.
    """

    def __init__(
        self, deadline: Deadline, connect: float = CONNECT_TIMEOUT, read: float = READ_TIMEOUT
    ) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def clone(self) -> DeadlineTimeout:
        return DeadlineTimeout(self.deadline, self._connect, self._read)  # type: ignore[arg-type]

    def _capped(self, ceiling: object) -> float:
        left = max(MIN_ATTEMPT / 2, self.deadline.remaining())
        return min(float(ceiling), left)  # type: ignore[arg-type]

    @property
    def connect_timeout(self) -> float:  # type: ignore[override]
        return self._capped(self._connect)

    @property
    def read_timeout(self) -> float:  # type: ignore[override]
        return self._capped(self._read)
