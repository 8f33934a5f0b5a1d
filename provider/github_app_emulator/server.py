"""The HTTP layer: a ThreadingHTTPServer whose handler applies faults, answers and logs."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import admin, faults, routes
from .clock import http_date
from .faults import Fault
from .state import Auth, State
from .wire import JSON_TYPE, STATIC_HEADERS, Response, request_id

_INSTALLATION_IN_PATH = "/app/installations/"
GHES_PREFIX = "/api/v3"
_MAX_ID_DIGITS = 18  # ids beyond this cannot exist; Python's int() refuses > 4300 digits


class EmulatorServer(ThreadingHTTPServer):
    """Serves one State; remembers open connections so `close` can cut keep-alive clients."""

    daemon_threads = True

    def __init__(
        self, host: str, port: int, state: State, info: Callable[[], dict[str, Any]]
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.state = state
        self.info = info
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


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length on every body, so clients can pool connections.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle plus delayed ACKs
    # would add ~40 ms to every keep-alive round trip.
    disable_nagle_algorithm = True
    server: EmulatorServer

    def version_string(self) -> str:
        return "GitHub.com"

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the emulator clock: clients use it to measure skew (§1 notes).
        return http_date(self.server.state.now())

    def log_message(self, format: str, *args: Any) -> None:
        # Silent on purpose: request lines and headers may carry credentials.
        return

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        state = self.server.state
        split = urlsplit(self.path)
        path, query = split.path, split.query
        # GitHub Enterprise Server serves the same API under /api/v3; so do we.
        if path.startswith(GHES_PREFIX + "/"):
            path = path[len(GHES_PREFIX):]
        try:
            body = self._read_body()
        except ValueError:
            self._send(Response(400, {"message": "Problems parsing request"}), {})
            return
        if path == admin.PREFIX or path.startswith(admin.PREFIX + "/"):
            self._send(admin.handle(state, self.command, path, body, self.server.info), {})
            return

        seq, arrived = state.next_seq(), state.now()
        with state.lock:
            fault = state.faults.take(path)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay or 0.0)  # outside the lock: other requests keep flowing
            fault = None
        auth = state.authenticate(self.headers.get("Authorization"))
        if fault is not None and fault.kind == "reset":
            state.record(
                seq, self.command, path, query, 0, auth.kind, auth.token_id, body, arrived
            )
            self._reset()
            return

        identity, limit = auth.rate_identity()
        with state.lock:
            rate_headers = state.rates.count(identity, limit, state.now())
        response = self._answer(fault, auth, path, query, body, limit)
        token_id = response.token_id or auth.token_id
        state.record(
            seq, self.command, path, query, response.status, auth.kind, token_id, body, arrived
        )
        pace = fault.delay if fault is not None and fault.kind == "trickle" else None
        self._send(response, {**rate_headers, **response.headers}, pace=pace)

    def _answer(
        self, fault: Fault | None, auth: Auth, path: str, query: str, body: bytes, limit: int
    ) -> Response:
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
            number = path[len(_INSTALLATION_IN_PATH) :].split("/")[0]
            if number.isascii() and number.isdigit() and len(number) <= _MAX_ID_DIGITS:
                return int(number)
        return None

    def _send(self, response: Response, headers: dict[str, str], pace: float | None = None) -> None:
        payload = response.payload()
        try:
            self._send_head(response, headers, payload)
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
        if response.github:
            self.send_response(response.status)
            for name, value in STATIC_HEADERS:
                self.send_header(name, value)
            self.send_header("X-GitHub-Request-Id", request_id())
            for name, value in headers.items():
                self.send_header(name, value)
        else:  # something in between answered: its own Server header, nothing of GitHub's
            self.send_response_only(response.status)
            self.send_header("Date", self.date_time_string())
            for name, value in response.headers.items():
                self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", response.content_type)
        if response.endless:
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Transfer-Encoding", "chunked")
        elif response.status not in (204, 304):  # RFC 9110: no Content-Length on these
            self.send_header("Content-Length", str(len(payload or b"")))
        self.end_headers()

    def _trickle(self, payload: bytes, pace: float) -> None:
        for index in range(len(payload)):
            self.wfile.write(payload[index : index + 1])
            self.wfile.flush()
            if index + 1 < len(payload) and not self._pause(pace):
                raise ConnectionAbortedError("gone")

    def _trickle_forever(self, pace: float) -> None:
        """One blank per chunk, forever: ends when the client leaves or the emulator stops."""
        while self._pause(pace):
            self.wfile.write(b"1\r\n \r\n")
            self.wfile.flush()
        raise ConnectionAbortedError("gone")

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
