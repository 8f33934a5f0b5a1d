"""The server: go-plugin's handshake and mTLS, and Terraform's plugin protocol 6 over grpclib.

OpenTofu starts this executable once per provider configuration per phase, so start-up is
kept to the handshake: the kinds, the core and the HTTP stack load at the first RPC that needs
them. The handshake (HashiCorp go-plugin, "automatic mTLS"):
- the magic cookie in the environment says a Terraform-compatible host started us;
- we serve TLS with a fresh self-signed certificate and trust exactly the client certificate
  in PLUGIN_CLIENT_CERT (a P-521 certificate: the standard library's `ssl` accepts it,
  grpcio's BoringSSL does not);
- the first line on stdout is `1|6|tcp|127.0.0.1:PORT|grpc|<our certificate, base64>`.
Besides `tfplugin6.Provider` we answer go-plugin's own services: `GRPCController/Shutdown`
(else every process is killed after 2 s), `GRPCStdio/StreamStdio` and the health check.
Nothing is written to stdout after the handshake line; logs go to stderr (OpenTofu's TF_LOG).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import os
import signal
import socket
import ssl
import sys
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from grpclib.const import Cardinality, Handler
from grpclib.encoding.proto import ProtoCodec
from grpclib.server import Server, Stream

from . import goplugin_pb2 as gp
from . import tfplugin6_pb2 as pb

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


def _client_cert(environ: dict[str, str]) -> str:
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


# ---- tfplugin6.Provider --------------------------------------------------------------------

class _Failed(Exception):
    """Ends an RPC with these diagnostics."""

    def __init__(self, found: list[pb.Diagnostic]) -> None:
        super().__init__(len(found))
        self.diagnostics = found


async def _run(func: Callable[..., Any], *args: Any, config: dict[str, Any] | None = None) -> Any:
    """`func(*args)` in a worker thread (the loop stays free for other RPCs), our errors as
    diagnostics; `config` holds the values an attribute path would point at."""
    from ..errors import GitHubAppTokenError
    from .diagnostics import from_error

    try:
        return await asyncio.to_thread(func, *args)
    except GitHubAppTokenError as err:
        raise _Failed([from_error(err, config)]) from None


def _check(found: list[pb.Diagnostic]) -> None:
    if found:
        raise _Failed(found)


def _kind(table: dict[str, Any], type_name: str) -> Any:
    kind = table.get(type_name)
    if kind is None:
        from .diagnostics import error

        raise _Failed([error("Unknown type", f"this provider has no {type_name!r}")])
    return kind


class ProviderService:
    """Each RPC decodes its values, calls the kind named by `type_name`, and encodes."""

    RPCS = ("GetMetadata", "GetProviderSchema", "ValidateProviderConfig", "ConfigureProvider",
            "ValidateResourceConfig", "UpgradeResourceState", "ReadResource",
            "PlanResourceChange", "ApplyResourceChange", "ImportResourceState",
            "ValidateDataResourceConfig", "ReadDataSource", "ValidateEphemeralResourceConfig",
            "OpenEphemeralResource", "RenewEphemeralResource", "CloseEphemeralResource",
            "StopProvider")

    def __init__(self) -> None:
        from . import config

        self.settings = config.UNSET

    def __mapping__(self) -> dict[str, Handler]:
        return {f"/tfplugin6.Provider/{rpc}": Handler(
            self._handler(rpc), Cardinality.UNARY_UNARY, getattr(pb, rpc).Request,
            getattr(pb, rpc).Response) for rpc in self.RPCS}

    def _handler(self, rpc: str) -> Callable[[Stream[Any, Any]], Awaitable[None]]:
        method = getattr(self, rpc)
        response_type = getattr(pb, rpc).Response

        async def handle(stream: Stream[Any, Any]) -> None:
            from .diagnostics import capture, unexpected

            request = await stream.recv_message()
            with capture() as warned:
                try:
                    response = await method(request)
                except _Failed as failed:
                    response = response_type(diagnostics=failed.diagnostics)
                except Exception as err:  # a bug of ours: reported, never a traceback to users
                    response = response_type(diagnostics=[unexpected(err, rpc)])
            if hasattr(response, "diagnostics"):
                response.diagnostics.extend(warned)
            await stream.send_message(response)

        return handle

    # -- the provider --

    async def GetMetadata(self, _request: Any) -> Any:
        from .schema import INSTALLATION, TOKEN

        kind = pb.GetMetadata.TypeName
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
            resources=[kind(type_name=TOKEN)], ephemeral_resources=[kind(type_name=TOKEN)],
            data_sources=[kind(type_name=INSTALLATION)])

    async def GetProviderSchema(self, _request: Any) -> Any:
        from .schema import provider_schema

        return provider_schema()

    async def ValidateProviderConfig(self, request: Any) -> Any:
        from . import config
        from .values import decode

        given = decode(request.config) or {}
        found = config.problems(config.as_written(given), given)
        return pb.ValidateProviderConfig.Response(diagnostics=found)

    async def ConfigureProvider(self, request: Any) -> Any:
        from . import config
        from .values import decode

        given = decode(request.config) or {}
        settings = await _run(config.from_config, given, config=given)
        _check(config.problems(settings, given))
        self.settings = settings
        return pb.ConfigureProvider.Response()

    async def StopProvider(self, _request: Any) -> Any:
        return pb.StopProvider.Response()  # every call to GitHub ends within its deadline

    # -- the managed token --

    async def ValidateResourceConfig(self, request: Any) -> Any:
        from . import config
        from .values import decode

        kind = _kind(_managed(), request.type_name)
        found = kind.validate(config.UNSET, decode(request.config) or {})
        return pb.ValidateResourceConfig.Response(diagnostics=found)

    async def UpgradeResourceState(self, request: Any) -> Any:
        from .values import encode

        kind = _kind(_managed(), request.type_name)
        state = kind.upgrade(request.raw_state.json)
        return pb.UpgradeResourceState.Response(upgraded_state=encode(state, kind.ATTRIBUTES))

    async def ReadResource(self, request: Any) -> Any:
        from .values import decode, encode

        kind = _kind(_managed(), request.type_name)
        state = await _run(kind.read, decode(request.current_state))
        return pb.ReadResource.Response(new_state=encode(state, kind.ATTRIBUTES),
                                        private=request.private)

    async def PlanResourceChange(self, request: Any) -> Any:
        from .diagnostics import path
        from .values import decode, encode

        kind = _kind(_managed(), request.type_name)
        config = decode(request.config)
        planned, replace, found = await _run(
            kind.plan, self.settings, decode(request.prior_state), config, config=config)
        if any(d.severity == pb.Diagnostic.ERROR for d in found):
            raise _Failed(found)
        return pb.PlanResourceChange.Response(
            planned_state=encode(planned, kind.ATTRIBUTES), diagnostics=found,
            requires_replace=[path(name) for name in replace],
            planned_private=request.prior_private)

    async def ApplyResourceChange(self, request: Any) -> Any:
        from .values import decode, encode

        kind = _kind(_managed(), request.type_name)
        config = decode(request.config)
        state = await _run(kind.apply, self.settings, decode(request.prior_state),
                           decode(request.planned_state), config, config=config)
        return pb.ApplyResourceChange.Response(new_state=encode(state, kind.ATTRIBUTES),
                                               private=request.planned_private)

    async def ImportResourceState(self, request: Any) -> Any:
        from .diagnostics import error

        kind = _kind(_managed(), request.type_name)
        raise _Failed([error("Import is not supported", kind.NOT_IMPORTABLE)])

    # -- the data source --

    async def ValidateDataResourceConfig(self, request: Any) -> Any:
        from . import config
        from .values import decode

        kind = _kind(_data_sources(), request.type_name)
        found = kind.validate(config.UNSET, decode(request.config) or {})
        return pb.ValidateDataResourceConfig.Response(diagnostics=found)

    async def ReadDataSource(self, request: Any) -> Any:
        from .values import decode, encode

        kind = _kind(_data_sources(), request.type_name)
        config = decode(request.config) or {}
        _check(kind.validate(self.settings, config))
        state = await _run(kind.read, self.settings, config, config=config)
        return pb.ReadDataSource.Response(state=encode(state, kind.ATTRIBUTES))

    # -- the ephemeral token --

    async def ValidateEphemeralResourceConfig(self, request: Any) -> Any:
        from . import config
        from .values import decode

        kind = _kind(_ephemerals(), request.type_name)
        found = kind.validate(config.UNSET, decode(request.config) or {})
        return pb.ValidateEphemeralResourceConfig.Response(diagnostics=found)

    async def OpenEphemeralResource(self, request: Any) -> Any:
        from .values import decode, encode

        kind = _kind(_ephemerals(), request.type_name)
        config = decode(request.config) or {}
        _check(kind.validate(self.settings, config))
        result, private = await _run(kind.open_token, self.settings, config, config=config)
        return pb.OpenEphemeralResource.Response(result=encode(result, kind.ATTRIBUTES),
                                                 private=private)

    async def RenewEphemeralResource(self, request: Any) -> Any:
        _kind(_ephemerals(), request.type_name)
        # OpenTofu replaces its copy of `private` with ours: hand it back for Close.
        return pb.RenewEphemeralResource.Response(private=request.private)

    async def CloseEphemeralResource(self, request: Any) -> Any:
        kind = _kind(_ephemerals(), request.type_name)
        await _run(kind.close_token, request.private)
        return pb.CloseEphemeralResource.Response()


def _managed() -> dict[str, Any]:
    from . import managed
    from .schema import TOKEN

    return {TOKEN: managed}


def _ephemerals() -> dict[str, Any]:
    from . import ephemeral
    from .schema import TOKEN

    return {TOKEN: ephemeral}


def _data_sources() -> dict[str, Any]:
    from . import installation
    from .schema import INSTALLATION

    return {INSTALLATION: installation}


# ---- serving ------------------------------------------------------------------------------

async def _serve(context: ssl.SSLContext, der: bytes) -> None:
    stop = asyncio.Event()
    server = Server([ProviderService(), GoPlugin(stop)], codec=ProtoCodec())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    await server.start(sock=listener, ssl=context)
    print(handshake_line(listener.getsockname()[1], der), flush=True)
    await stop.wait()
    server.close()
    await asyncio.wait_for(server.wait_closed(), 5)


def serve(environ: dict[str, str] | None = None) -> int:
    """Handshake and serve until OpenTofu asks us to shut down; returns the exit status."""
    try:
        client_cert = _client_cert(dict(os.environ if environ is None else environ))
    except HandshakeError as err:
        print(f"terraform-provider-githubapp: {err}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # OpenTofu handles Ctrl-C (StopProvider)
    from .diagnostics import install_collector

    install_collector()
    context, der = tls_context(client_cert)
    asyncio.run(_serve(context, der))
    return 0
