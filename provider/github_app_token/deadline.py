"""How long one client operation may take, whatever the server does.

Every operation of the client (mint, lookup, liveness check, revoke) finishes or fails
within one deadline: `DEFAULT_SECONDS` (120 s), or the number of seconds in the
environment variable `GITHUB_APP_TOKEN_TIMEOUT`. The deadline covers everything:

- name resolution, which no socket can interrupt, runs in a worker thread that is waited
  on for the time left (see `connection`);
- from the moment a socket exists (proxy `CONNECT`, TLS handshake, request, status line,
  headers, body), a watchdog thread shuts the socket down when the deadline passes, so no
  read or write outlives it, however slowly a server or proxy trickles its bytes;
- backoff between retries, and every wait a server asks for (`Retry-After` on any status,
  rate-limit resets): a wait longer than the time left fails at once, with GitHub's
  answer and the wait it asked for.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
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
        # The value is never repeated: a pasted secret would land in logs.
        raise ConfigError(
            ENV, f"must be a number of seconds above 0 and at most {MAX_SECONDS:g} (e.g. 120); "
            "fix or unset it"
        )
    return value


class Deadline:
    """The moment an operation must be done by, on the monotonic clock."""

    def __init__(self, seconds: float, operation: str) -> None:
        self.seconds = seconds
        self.operation = operation
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def before_end(self, reserve: float, operation: str | None = None) -> Deadline:
        """A deadline `reserve` seconds earlier (for `operation`, by default this one's),
        keeping time for a clean-up inside this one."""
        inner = Deadline(self.seconds, operation or self.operation)
        inner.end = self.end - reserve
        return inner

    def error(self, cause: str, *, sent: bool = True, advice: str = "") -> DeadlineError:
        return DeadlineError(self.operation, self.seconds, cause, sent=sent, advice=advice)

    def __repr__(self) -> str:
        return f"<Deadline {self.operation} {self.remaining():.1f}/{self.seconds:g} s left>"


class Exchange:
    """One HTTP call (all its attempts) under a deadline, as the connection reports it.

    `phase` is what the call was doing last (`RESOLVING` ... `READING_BODY`), `sent` whether
    any attempt began sending the request, `attempt_sent` whether the current one did, and
    `cut` whether the watchdog shut the call's sockets down at the deadline.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.phase = CONNECTING
        self.sent = False
        self.attempt_sent = False
        self.cut = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._finished = False

    def new_attempt(self) -> None:
        self.attempt_sent = False

    def sending(self) -> None:
        self.phase = SENDING
        self.sent = self.attempt_sent = True

    def guard(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes (now, if it has).

        The watchdog keeps a duplicate of the descriptor: it stays valid whatever the
        connection does with its own (TLS wraps it, a retry closes it), so a shutdown never
        reaches a descriptor the system has since given to someone else.
        """
        watched = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            if self._finished:
                watched.close()
                return
            self._sockets.append(watched)
            if self.cut:
                _shut(watched)

    def _cut(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.cut = True
            for watched in self._sockets:
                _shut(watched)

    def _finish(self) -> None:
        with self._lock:
            self._finished = True
            sockets, self._sockets = self._sockets, []
        for watched in sockets:
            watched.close()


# What an exchange was doing, in order; `transport` words its errors from these.
RESOLVING = "resolving"
CONNECTING = "connecting"
PROXY_CONNECT = "proxy-connect"
TLS_HANDSHAKE = "tls-handshake"
SENDING = "sending"
AWAITING_ANSWER = "awaiting-answer"
READING_BODY = "reading-body"


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):  # already shut or reset: nothing left to interrupt
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that cuts each running exchange when its deadline passes."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._queue: list[tuple[float, int, Exchange]] = []
        self._order = itertools.count()
        self._running = 0
        self._thread: threading.Thread | None = None

    def watch(self, exchange: Exchange) -> None:
        with self._wake:
            self._running += 1
            if len(self._queue) > 2 * self._running + 64:  # drop finished ones in bulk
                self._queue = [item for item in self._queue if not item[2]._finished]
                heapq.heapify(self._queue)
            heapq.heappush(self._queue, (exchange.deadline.end, next(self._order), exchange))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="github-app-token-deadline", daemon=True)
                self._thread.start()
            elif self._queue[0][2] is exchange:
                self._wake.notify()

    def release(self, exchange: Exchange) -> None:
        exchange._finish()
        with self._wake:
            self._running -= 1

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._queue and self._queue[0][2]._finished:
                    heapq.heappop(self._queue)
                if not self._queue:
                    self._wake.wait()
                    continue
                left = self._queue[0][0] - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._queue)[2]._cut()


_watchdog = _Watchdog()


def _after_fork() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # the parent's thread does not exist in a child


os.register_at_fork(after_in_child=_after_fork)

_current: ContextVar[Exchange | None] = ContextVar("github_app_token_exchange", default=None)


def exchange() -> Exchange | None:
    """The exchange of the HTTP call running in this thread, for the connection and Retry."""
    return _current.get()


def current() -> Deadline | None:
    """The deadline of the HTTP call running in this thread."""
    running_exchange = _current.get()
    return None if running_exchange is None else running_exchange.deadline


@contextmanager
def running(deadline: Deadline) -> Iterator[Exchange]:
    """Run one HTTP call under `deadline`: its sockets are cut when the deadline passes."""
    call = Exchange(deadline)
    token = _current.set(call)
    _watchdog.watch(call)
    try:
        yield call
    finally:
        _watchdog.release(call)
        _current.reset(token)


class DeadlineTimeout(Timeout):
    """urllib3's Timeout whose connect and read timeouts never outlast the deadline.

    urllib3 clones it for every attempt and reads the properties as it connects and as
    it starts reading, so each retry gets only the time that is left. The watchdog is what
    bounds a read that a server keeps alive byte by byte; these bound a silent one early.
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
