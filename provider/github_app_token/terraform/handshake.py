"""HashiCorp go-plugin's side of the handshake, as OpenTofu and Terraform speak it.

- the magic cookie in the environment says a Terraform-compatible host started us;
- we serve TLS with a fresh self-signed certificate and trust exactly the client certificate
  in PLUGIN_CLIENT_CERT (a P-521 certificate: the standard library's `ssl` accepts it,
  grpcio's BoringSSL does not);
- the first line on stdout is `1|6|tcp|127.0.0.1:PORT|grpc|<our certificate, base64>`;
- go-plugin's own services are answered: `GRPCController/Shutdown` (else every process is
  killed after 2 s), `GRPCStdio/StreamStdio` (ended at once) and the health check.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import os
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from grpclib.const import Cardinality, Handler
from grpclib.server import Stream

from . import goplugin_pb2 as gp

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
PROTOCOL_VERSION = "6"
CORE_PROTOCOL_VERSION = "1"
CERT_LIFETIME = datetime.timedelta(days=30)
NOT_A_COMMAND = (
    "This binary is a plugin: OpenTofu or Terraform start it. Point them at it with "
    "dev_overrides or a filesystem_mirror (see docs/terraform.md); "
    "`terraform-provider-githubapp --version` prints its version."
)


class HandshakeError(Exception):
    """The environment is not that of a plugin host: the message says what is missing."""


def client_cert_from(environ: dict[str, str]) -> str:
    """The host's client certificate (PEM), once the environment proves a plugin host."""
    if environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        raise HandshakeError(NOT_A_COMMAND)
    versions = {v.strip() for v in environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",")}
    if PROTOCOL_VERSION not in versions:
        raise HandshakeError("this provider speaks plugin protocol 6 only (OpenTofu >= 1.11, "
                             "Terraform >= 1.10); the host offered other versions")
    cert = environ.get("PLUGIN_CLIENT_CERT", "")
    if "BEGIN CERTIFICATE" not in cert:
        raise HandshakeError("PLUGIN_CLIENT_CERT is not set: the host must use automatic mTLS")
    return cert


def _self_signed() -> tuple[bytes, bytes]:
    """(certificate DER, key+certificate PEM) for localhost, made for this process only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.DER), pem + cert.public_bytes(
        serialization.Encoding.PEM)


def tls_context(client_cert: str) -> tuple[ssl.SSLContext, bytes]:
    """(a server context that requires exactly `client_cert`, our certificate as DER)."""
    der, chain = _self_signed()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_cert)
    context.set_alpn_protocols(["h2"])
    with tempfile.TemporaryDirectory(prefix="githubapp-tls-") as folder:  # ssl reads files only
        path = os.path.join(folder, "server.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(chain)
        context.load_cert_chain(path)
    return context, der


def handshake_line(port: int, der: bytes) -> str:
    cert = base64.b64encode(der).decode().rstrip("=")
    return f"{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc|{cert}"


# ---- go-plugin's own services -------------------------------------------------------------

def _unary(func: Callable[[Any], Awaitable[Any]]) -> Callable[[Stream[Any, Any]], Awaitable[None]]:
    async def handle(stream: Stream[Any, Any]) -> None:
        await stream.send_message(await func(await stream.recv_message()))

    return handle


class GoPlugin:
    """Shutdown ends the process; stdio has nothing to stream; health is always serving."""

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    async def _shutdown(self, _request: gp.Empty) -> gp.Empty:
        self._stop.set()
        return gp.Empty()

    @staticmethod
    async def _stdio(stream: Stream[gp.Empty, gp.StdioData]) -> None:
        await stream.recv_message()  # our stderr reaches OpenTofu directly; nothing to stream

    @staticmethod
    async def _health(_request: gp.HealthCheckRequest) -> gp.HealthCheckResponse:
        return gp.HealthCheckResponse(status=gp.HealthCheckResponse.SERVING)

    def __mapping__(self) -> dict[str, Handler]:
        unary = Cardinality.UNARY_UNARY
        return {
            "/plugin.GRPCController/Shutdown": Handler(
                _unary(self._shutdown), unary, gp.Empty, gp.Empty),
            "/plugin.GRPCStdio/StreamStdio": Handler(
                self._stdio, Cardinality.UNARY_STREAM, gp.Empty, gp.StdioData),
            "/grpc.health.v1.Health/Check": Handler(
                _unary(self._health), unary, gp.HealthCheckRequest, gp.HealthCheckResponse),
        }
