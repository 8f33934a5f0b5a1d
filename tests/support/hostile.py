"""Hostile peers on loopback for the deadline tests, and the one time bound they are held to.

`SLACK` is the deadline's promise (RELIABILITY.md): an operation ends within
GITHUB_APP_TOKEN_TIMEOUT plus at most one second, whatever the other side does. Tests bound
time by `deadline + SLACK`, never by how fast this machine happens to be.

- `Trickler`: a TCP server that reads a request, then sends its answer one byte at a time
  (a status line, headers, a proxy's CONNECT reply, a TLS record), forever.
- `Backlogged`: a listener whose backlog is full, so a connect hangs with no answer.
- `Resolver`: stands in for the system resolver (`socket.getaddrinfo`) for two names: one it
  never answers, one it says does not exist; every other name goes to the real resolver.
- `in_time`: runs an operation in a thread and fails the test if it outlives its bound,
  then unblocks it, so a test of broken code fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

SLACK = 1.0
"""Seconds an operation may run past its deadline: the promise, not this machine's speed."""

HUNG_NAME = "hung.example.invalid"
MISSING_NAME = "no-such-host.example.invalid"
FAILING_NAME = "out-of-files.example.invalid"


def eventually(predicate: Callable[[], Any], within: float = 10.0) -> Any:
    """Poll `predicate` until it is truthy, for an event the test knows is coming."""
    end = time.monotonic() + within
    while not (value := predicate()):
        assert time.monotonic() < end, "the awaited event did not happen"
        time.sleep(0.01)
    return value


def in_time(call: Callable[[], Any], deadline: float, unblock: Callable[[], None]) -> tuple[
        float, Any]:
    """(seconds taken, value or exception) of `call()`; fails past `deadline + SLACK`."""
    outcome: list[Any] = []
    started = time.monotonic()

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as err:  # handed back to the test, which judges it
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(deadline + SLACK)
    elapsed = time.monotonic() - started
    if worker.is_alive():
        unblock()
        worker.join(30)
        raise AssertionError(f"still running {elapsed:.1f} s into a {deadline:g} s deadline")
    return elapsed, outcome[0]


class Trickler:
    """Answers every connection with `prefix` at once, then `trickle` and `repeat` (cycled
    forever) one byte each `pace` seconds. Records the first line of what each connection
    sent (a request line, or CONNECT), read up to the end of its headers."""

    def __init__(self, *, prefix: bytes = b"", trickle: bytes = b"", repeat: bytes = b" ",
                 pace: float = 0.05) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._script = (prefix, trickle, repeat, pace)
        self._stop = threading.Event()
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        prefix, trickle, repeat, pace = self._script
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and not head.startswith(b"\x16"):  # TLS: no headers
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            self.received.append(head.split(b"\r\n", 1)[0])
            conn.sendall(prefix)
            for byte in itertools.chain(trickle, itertools.cycle(repeat)):
                if self._stop.wait(pace):
                    return
                conn.sendall(bytes([byte]))

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


class Backlogged:
    """A listener that never accepts, its backlog already full: the next connect hangs
    (the kernel drops a SYN it has no room for)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        self.port = self._sock.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(16):  # connect until one is left hanging: then the queue is full
            filler = socket.socket()
            filler.settimeout(0.5)
            try:
                filler.connect(("127.0.0.1", self.port))
            except TimeoutError:
                filler.close()
                return
            self._fillers.append(filler)
        raise AssertionError("the listener's backlog never filled")

    def close(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._sock.close()


class Resolver:
    """`socket.getaddrinfo` with two hostile names; install it with monkeypatch."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self._real = real
        self.released = threading.Event()
        self.asked: Counter[str] = Counter()

    def __call__(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (HUNG_NAME, MISSING_NAME, FAILING_NAME):
            self.asked[host] += 1
            if host == HUNG_NAME:
                self.released.wait(60)  # as a resolver with no reachable server, only longer
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            if host == FAILING_NAME:  # a process out of file descriptors
                raise OSError(errno.EMFILE, "Too many open files")
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self._real(host, *args, **kwargs)
