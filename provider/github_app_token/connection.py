"""urllib3 connections that keep the deadline, plugged in through urllib3's pool classes.

HTTP stays urllib3's; these add three things, each from the exchange `deadline.running`
started for the call:
- the host name is resolved in a worker thread waited on for the time left (no socket can
  cut a resolver short), and a name the resolver says does not exist is not retried;
- every socket, new or reused, is handed to the deadline's watchdog, which shuts it down
  when time is up: a proxy's `CONNECT` reply, a TLS handshake, a status line or headers
  trickled byte by byte end there, whatever the per-read timeouts;
- the phase the call reached, and whether this attempt began sending its request: the
  retry policy repeats a mint only if it did not, and errors say where time ran out.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as sockets

from . import deadline as deadlines

_NO_SUCH_NAME = frozenset(
    {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})


def name_does_not_exist(error: BaseException) -> bool:
    """The resolver answered that the host name does not exist: asking again changes nothing."""
    cause = error.__cause__ if isinstance(error, NameResolutionError) else None
    return isinstance(cause, socket.gaierror) and cause.errno in _NO_SUCH_NAME


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def resolve(host: str, port: int, deadline: deadlines.Deadline | None) -> list[Any]:
    """`socket.getaddrinfo(host, port)`, given at most the time `deadline` leaves.

    A lookup that outlives the deadline is left to finish in its daemon thread; the call
    fails with EAI_AGAIN (a resolution that never finished, so nothing was sent).
    """
    family = sockets.allowed_gai_family()
    if deadline is None or _is_address(host):  # an address needs no resolver
        return _lookup(host, port, family)
    outcome: list[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome.append(_lookup(host, port, family))
        except OSError as err:  # any failure (EMFILE too) is raised in the caller's thread
            outcome.append(err)
        finally:
            done.set()

    threading.Thread(target=lookup, name="github-app-token-resolve", daemon=True).start()
    if not done.wait(max(0.0, deadline.remaining())):
        raise socket.gaierror(socket.EAI_AGAIN, "no answer from the resolver in time")
    if isinstance(outcome[0], OSError):
        raise outcome[0]
    return outcome[0]


def _lookup(host: str, port: int, family: int) -> list[Any]:
    try:
        return socket.getaddrinfo(host.strip("[]"), port, family, socket.SOCK_STREAM)
    except UnicodeError:  # an over-long or empty label
        raise socket.gaierror(socket.EAI_NONAME, "not a valid host name") from None


class _KeepsTheDeadline:
    """What both connection classes add to urllib3's."""

    _after_connect = deadlines.CONNECTING
    _watched_by: deadlines.Exchange | None = None

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        call = deadlines.exchange()
        if call is not None:
            call.new_attempt()
            call.phase = deadlines.RESOLVING
        try:
            addresses = resolve(conn._dns_host, conn.port, call and call.deadline)
        except socket.gaierror as err:
            raise NameResolutionError(conn.host, conn, err) from err
        if call is not None:
            call.phase = deadlines.CONNECTING
        sock = self._connect(addresses, call)
        sys.audit("http.client.connect", self, conn.host, conn.port)
        if call is not None:
            call.guard(sock)
            self._watched_by = call
            call.phase = deadlines.PROXY_CONNECT if conn._tunnel_host else self._after_connect
        return sock

    def _connect(self, addresses: list[Any], call: deadlines.Exchange | None) -> socket.socket:
        """The first address that accepts, as urllib3 would connect to the name."""
        conn: Any = self
        error: OSError | None = None
        for *_, address in addresses:
            timeout = conn.timeout
            if call is not None:
                timeout = min(timeout, max(deadlines.MIN_ATTEMPT / 2, call.deadline.remaining()))
            try:
                return sockets.create_connection(
                    address[:2], timeout, source_address=conn.source_address,
                    socket_options=conn.socket_options)
            except OSError as err:
                error = err
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(self, "connecting timed out") from error
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error

    def _tunnel(self) -> None:
        super()._tunnel()  # type: ignore[misc]
        call = deadlines.exchange()
        _unless_cut(call)
        if call is not None:
            call.phase = self._after_connect

    def request(self, method: str, url: str, body: Any = None, headers: Any = None,
                **options: Any) -> None:
        conn: Any = self
        if conn.sock is None:
            # http.client would connect on its first write; connecting first lets the
            # exchange know that whatever fails before this point sent nothing.
            conn.connect()
        call = deadlines.exchange()
        if call is not None:
            if self._watched_by is not call:  # a kept-alive connection, new to this call
                call.guard(conn.sock)
                self._watched_by = call
            call.sending()
        super().request(method, url, body, headers, **options)  # type: ignore[misc]

    def getresponse(self) -> Any:
        call = deadlines.exchange()
        if call is not None:
            call.phase = deadlines.AWAITING_ANSWER
        response = super().getresponse()  # type: ignore[misc]
        _unless_cut(call)
        return response


def _unless_cut(call: deadlines.Exchange | None) -> None:
    """Fail if the watchdog cut the call: http.client reads its shutdown as the end of a
    proxy's or server's headers, and would go on with what arrived as if it were whole."""
    if call is not None and call.cut:
        raise TimeoutError("the deadline passed while the headers were arriving")


class DeadlineHTTPConnection(_KeepsTheDeadline, HTTPConnection):
    pass


class DeadlineHTTPSConnection(_KeepsTheDeadline, HTTPSConnection):
    _after_connect = deadlines.TLS_HANDSHAKE


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}
"""For a PoolManager's `pool_classes_by_scheme`."""
