"""The HTTP layer: a ThreadingHTTPServer whose handler applies faults, answers and logs.

Every request gets an answer: bad framing a 4xx (body.py), a malformed request line or header
block http.server's 4xx in GitHub's JSON shape, and an unexpected exception a 500 GitHub-shaped
body, rather than a dropped connection (docs/github-behaviour.md §8). Only a `reset` fault
drops one, on purpose.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
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
from .wire import STATIC_HEADERS, Response, parse_id, request_id

if TYPE_CHECKING:
    from .control import Emulator

_INSTALLATION_IN_PATH = "/app/installations/"
GHES_PREFIX = "/api/v3"


class EmulatorServer(ThreadingHTTPServer):
    """Serves one State; remembers open connections so `close` can cut keep-alive clients."""

    daemon_threads = True

    def __init__(self, host: str, port: int, state: State, controls: Emulator) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.state = state
        self.controls = controls
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.stopping = threading.Event()  # ends endless answers (trickle faults) on close
        super().__init__((host, port), Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
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
        self._send(_github_error(code, message or HTTPStatus(code).phrase), {})

    def do_GET(self) -> None:
        self._head_sent = False
        try:
            self._dispatch()
        except Exception:  # a bug: still answer, as GitHub would, rather than drop the line
            self.close_connection = True
            if not self._head_sent:
                self._send(_github_error(500, "Server Error"), {})

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
        if path == admin.PREFIX or path.startswith(admin.PREFIX + "/"):
            content_type = self.headers.get("Content-Type")
            self._send(admin.handle(self.server.controls, self.command, path, body, content_type))
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
