"""The HTTP layer: a ThreadingHTTPServer whose handler applies faults, answers and logs.

Every request gets an answer: bad framing a 4xx (body.py), a malformed request line or header
block http.server's 4xx in GitHub's JSON shape, and an unexpected exception a 500 GitHub-shaped
body, rather than a dropped connection (docs/github-behaviour.md §8). Only a `reset` fault
drops one, on purpose.

A server people run must not be held open by clients: each request must arrive whole within
`Limits.idle_timeout` of the connection opening (or of the previous answer), whatever pace its
bytes come at, and at most `Limits.max_connections` are served at once (one thread each); one
more is answered 503 from the accepting thread and closed.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import admin, faults, routes
from .body import Refused, read_body
from .clock import http_date
from .errors import DOCS_REST
from .faults import Fault
from .state import Auth, State
from .wire import JSON_TYPE, STATIC_HEADERS, Response, encode, parse_id, request_id

if TYPE_CHECKING:
    from .control import Emulator

_INSTALLATION_IN_PATH = "/app/installations/"
GHES_PREFIX = "/api/v3"
_SWEEP_EVERY = 0.05  # seconds between looks for connections past their deadline


@dataclass(frozen=True)
class Limits:
    """What one client may hold: see the module docstring."""

    idle_timeout: float = 30.0
    max_connections: int = 256
    # Host names besides loopback's that may drive the control routes (e.g. a container's).
    control_hosts: Iterable[str] = ()

    def __post_init__(self) -> None:
        idle, cap = self.idle_timeout, self.max_connections
        if isinstance(idle, bool) or not isinstance(idle, (int, float)) or not 0 < idle <= 3600:
            raise ValueError("idle_timeout must be a number of seconds in (0, 3600]")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 10_000:
            raise ValueError("max_connections must be an integer from 1 to 10000")
        object.__setattr__(self, "control_hosts", admin.check_hosts(self.control_hosts))


# Sent by the accepting thread to a connection over the cap, before reading anything.
_BUSY_BODY = encode(
    {
        "message": "The emulator is serving as many connections as it allows "
        "(--max-connections); retry, or close idle connections."
    }
)
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
    + f"Content-Type: {JSON_TYPE}\r\nContent-Length: {len(_BUSY_BODY)}\r\n\r\n".encode()
    + _BUSY_BODY
)


class EmulatorServer(ThreadingHTTPServer):
    """Serves one State; tracks open connections to bound them and so `close` can cut them."""

    daemon_threads = True
    # The listen backlog: a burst of connections waits here to be accepted (and, over the
    # cap, answered 503) instead of having its SYNs dropped and retried a second later.
    request_queue_size = 1024

    def __init__(
        self, host: str, port: int, state: State, controls: Emulator, limits: Limits
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.state = state
        self.controls = controls
        self.limits = limits
        # Each open connection, with the monotonic time its next request must have arrived
        # by (None while one is being answered).
        self._connections: dict[socket.socket, float | None] = {}
        self._connections_lock = threading.Lock()
        self._next_sweep = 0.0
        self.stopping = threading.Event()  # ends endless answers (trickle faults) on close
        super().__init__((host, port), Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    @property
    def open_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that left (reset, broken pipe) is not our error: say nothing. Anything
        else is a bug in the emulator and keeps socketserver's report on stderr."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            full = len(self._connections) >= self.limits.max_connections
            if not full:
                self._connections[request] = time.monotonic() + self.limits.idle_timeout
        if full:
            self._turn_away(request)
        else:
            super().process_request(request, client_address)

    def _turn_away(self, request: socket.socket) -> None:
        """503 without a thread: non-blocking, so the accepting thread never waits on it."""
        with contextlib.suppress(OSError):
            request.setblocking(False)
            request.send(_BUSY)
            request.recv(65536)  # what already arrived: closing with it unread would reset
        self.shutdown_request(request)

    def awaiting_request(self, request: socket.socket) -> None:
        """The connection waits for a request: it must arrive whole within the idle timeout."""
        with self._connections_lock:
            if request in self._connections:
                self._connections[request] = time.monotonic() + self.limits.idle_timeout

    def serving(self, request: socket.socket) -> None:
        """A whole request arrived: no deadline while the emulator answers it."""
        with self._connections_lock:
            if request in self._connections:
                self._connections[request] = None

    def service_actions(self) -> None:
        """Between accepts (serve_forever's loop): cut connections past their deadline."""
        super().service_actions()
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY
        with self._connections_lock:
            late = [c for c, due in self._connections.items() if due is not None and due <= now]
            for conn in late:
                self._connections[conn] = None
        for conn in late:  # the handler's read then ends, and its thread with it
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def close(self) -> None:
        """Stop accepting, then cut idle keep-alive connections (no thread serves stale state)."""
        self.stopping.set()
        self.server_close()
        with self._connections_lock:
            open_now = list(self._connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _github_error(status: int, message: str) -> Response:
    return Response(status, {"message": message, "documentation_url": DOCS_REST})


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length on every body, so clients can pool connections.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle plus delayed ACKs
    # would add ~40 ms to every keep-alive round trip.
    disable_nagle_algorithm = True
    server: EmulatorServer
    _head_sent = False

    def setup(self) -> None:
        # Also bounds each read and write: a client that stops reading an answer lets go.
        self.timeout = self.server.limits.idle_timeout
        super().setup()

    def handle_one_request(self) -> None:
        self.server.awaiting_request(self.connection)
        super().handle_one_request()

    def version_string(self) -> str:
        return "GitHub.com"

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the emulator clock: clients use it to measure skew (§1 notes).
        return http_date(self.server.state.now())

    def log_message(self, format: str, *args: Any) -> None:
        # Silent on purpose: request lines and headers may carry credentials.
        return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, headers too long, unknown method),
        in GitHub's JSON shape instead of an HTML page."""
        self.close_connection = True
        # An unparsable request line leaves the version at HTTP/0.9, which would suppress
        # the status line and headers; nobody speaks 0.9 any more.
        self.request_version = self.protocol_version
        self._send(_github_error(code, message or HTTPStatus(code).phrase), {"Connection": "close"})

    def do_GET(self) -> None:
        self._head_sent = False
        try:
            self._dispatch()
        except Exception:  # a bug: still answer, as GitHub would, rather than drop the line
            self.close_connection = True
            if not self._head_sent:
                self._send(_github_error(500, "Server Error"), {"Connection": "close"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        state = self.server.state
        split = urlsplit(self.path)
        path, query = split.path, split.query
        # GitHub Enterprise Server serves the same API under /api/v3; so do we.
        if path.startswith(GHES_PREFIX + "/"):
            path = path[len(GHES_PREFIX) :]
        try:
            body = read_body(self.headers, self.rfile)
        except Refused as refused:
            self.close_connection = True  # the stream cannot be trusted past a bad body
            self._send(_github_error(refused.status, refused.message), {"Connection": "close"})
            return
        except OSError:  # cut at the idle timeout, or the client left: nobody to answer
            self.close_connection = True
            return
        self.server.serving(self.connection)
        if path == admin.PREFIX or path.startswith(admin.PREFIX + "/"):
            self._send(self._control(path, body))
            return

        with state.lock:
            seq, arrived = state.log.next_seq(), state.now()
            fault = state.faults.take(path)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay or 0.0)  # outside the lock: other requests keep flowing
            fault = None
        with state.lock:
            auth = state.authenticate(self.headers.get("Authorization"))
            if fault is not None and fault.kind == "reset":
                response = None
                state.log.record(
                    seq, self.command, path, query, 0, auth.kind, auth.token_id, body, arrived
                )
            else:
                identity, limit = auth.rate_identity()
                rate_headers = state.rates.count(identity, limit, state.now())
                response = self._answer(fault, auth, path, query, body, limit)
                token_id = response.token_id or auth.token_id
                status = response.status
                state.log.record(
                    seq, self.command, path, query, status, auth.kind, token_id, body, arrived
                )
        if response is None:
            self._reset()
            return
        pace = fault.delay if fault is not None and fault.kind == "trickle" else None
        headers = {**rate_headers, **response.headers} if response.github else response.headers
        self._send(response, headers, pace=pace)

    def _control(self, path: str, body: bytes) -> Response:
        refused = admin.refusal(self.headers, self.server.limits.control_hosts)
        if refused is not None:
            return refused
        content_type = self.headers.get("Content-Type")
        return admin.handle(self.server.controls, self.command, path, body, content_type)

    def _answer(
        self, fault: Fault | None, auth: Auth, path: str, query: str, body: bytes, limit: int
    ) -> Response:
        """The route's answer, or the fault's; the caller holds the state lock."""
        state = self.server.state
        if fault is not None and fault.replaces_answer:
            context = faults.Context(
                now=state.now(),
                limit=limit,
                installation_id=self._installation_hint(auth, path),
                app_id=auth.app.id if auth.app else None,
                target=self.path,
                base_url=self.server.base_url,
            )
            return faults.respond(fault, context)
        request = routes.Request(
            self.command, path, query, body, self.headers, self.server.base_url
        )
        response = routes.dispatch(state, auth, request)
        if fault is not None and fault.kind == "malformed":
            response = faults.malform(fault, response, state.unmint)
        return response

    def _installation_hint(self, auth: Auth, path: str) -> int | None:
        if auth.token is not None:
            return auth.token.installation_id
        if path.startswith(_INSTALLATION_IN_PATH):
            return parse_id(path[len(_INSTALLATION_IN_PATH) :].split("/")[0])
        return None

    # ---- writing ----------------------------------------------------------------------------

    def _send(
        self,
        response: Response,
        headers: dict[str, str] | None = None,
        pace: float | None = None,
    ) -> None:
        payload = response.payload()
        try:
            self._send_head(response, response.headers if headers is None else headers, payload)
            if response.endless:
                self._trickle_forever(pace or 0.05)
            elif payload and pace:
                self._trickle(payload, pace)
            elif payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up (e.g. timed out during a delay fault)
            self.close_connection = True

    def _send_head(
        self, response: Response, headers: dict[str, str], payload: bytes | None
    ) -> None:
        self._head_sent = True
        if response.github:
            self.send_response(response.status)
            for name, value in STATIC_HEADERS:
                self.send_header(name, value)
            self.send_header("X-GitHub-Request-Id", request_id())
        else:  # the control routes, or something in between: nothing of GitHub's
            self.send_response_only(response.status)
            self.send_header("Date", self.date_time_string())
        for name, value in headers.items():
            self.send_header(name, value)
        if payload is not None or response.endless:
            self.send_header("Content-Type", response.content_type)
        if response.endless:
            self.send_header("Transfer-Encoding", "chunked")
        elif response.status not in (204, 304):  # RFC 9110: no Content-Length on these
            self.send_header("Content-Length", str(len(payload or b"")))
        self.end_headers()

    def _trickle(self, payload: bytes, pace: float) -> None:
        for index in range(len(payload)):
            self.wfile.write(payload[index : index + 1])
            self.wfile.flush()
            if index + 1 < len(payload) and not self._pause(pace):
                raise ConnectionAbortedError("the client left or the emulator stopped")

    def _trickle_forever(self, pace: float) -> None:
        """One blank per chunk, forever: ends when the client leaves or the emulator stops."""
        while self._pause(pace):
            self.wfile.write(b"1\r\n \r\n")
            self.wfile.flush()
        raise ConnectionAbortedError("the client left or the emulator stopped")

    def _pause(self, seconds: float) -> bool:
        """Wait; False once the emulator is stopping or the client has hung up."""
        if self.server.stopping.wait(seconds):
            return False
        readable, _, _ = select.select([self.connection], [], [], 0)
        if readable:
            try:
                return self.connection.recv(1, socket.MSG_PEEK) != b""
            except OSError:
                return False
        return True

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response: SO_LINGER 0, then close."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.rfile.close()  # drops the last reference, so the close (and RST) happens now
