"""Real sockets on loopback for transport tests: a listener that records who connects, and a
relay to the emulator that can start late (connection refused first) or speak TLS."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class Recorder:
    """A TCP listener that records the first bytes of every connection, then hangs up."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536))
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self._sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _hang_up(conn: socket.socket) -> None:
    """Read the client's first bytes (its ClientHello), then close without a word."""
    with conn, contextlib.suppress(OSError):
        conn.settimeout(5)
        conn.recv(65536)


class Relay:
    """Forwards loopback connections to `target_port`; listens only after `listen_after` s
    (until then connects are refused), and terminates TLS when given a context. The first
    `broken_handshakes` connections are hung up on as their TLS handshake begins."""

    def __init__(
        self, target_port: int, *, listen_after: float = 0.0, tls: ssl.SSLContext | None = None,
        broken_handshakes: int = 0,
    ) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._target = target_port
        self._tls = tls
        self._listen_after = listen_after
        self._broken = broken_handshakes
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        time.sleep(self._listen_after)
        self._sock.listen(16)
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self._broken:
                threading.Thread(target=_hang_up, args=(conn,), daemon=True).start()
                continue
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            upstream = socket.create_connection(("127.0.0.1", self._target))
        except OSError:
            conn.close()
            return
        threading.Thread(target=_pump, args=(upstream, conn), daemon=True).start()
        _pump(conn, upstream)

    def close(self) -> None:
        self._sock.close()


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the path of the CA file a client must trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "ca.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    key_path.unlink()
    return context, cert_path


class Scripted:
    """A real HTTP server on loopback whose every answer a test scripts: for fuzzing what the
    client makes of status, headers and body. It records each request's method, path and
    credential.

    `turn(script)` starts an example: its requests go under a path prefix of their own, so
    that `seen` holds only theirs, never a late request of an earlier example (one its
    client gave up on at the deadline, which the server reads later on a loaded machine)."""

    def __init__(self) -> None:
        import http.server

        scripted = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                credential = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                scripted.heard.append((self.command, self.path, credential))
                status, headers, body = scripted.script(self.command, self.path, credential)
                self.send_response_only(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")  # no answer bleeds into the next
                self.close_connection = True
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.heard: list[tuple[str, str, str]] = []
        """Every request, of every turn."""
        self.script = lambda method, path, credential: (204, {}, b"")
        self._prefix = ""
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def turn(self, script: Callable[[str, str, str], tuple[int, dict, bytes]]) -> str:
        """Answer with `script` from now on; the base URL this turn's client must use."""
        self.script = script
        self._prefix = f"/turn-{len(self.heard)}-{time.monotonic_ns()}"
        return self.base_url + self._prefix

    @property
    def seen(self) -> list[tuple[str, str, str]]:
        """This turn's requests."""
        return [r for r in self.heard if r[1].startswith(self._prefix + "/")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
