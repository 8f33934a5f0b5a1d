"""The server: Terraform's plugin protocol 6 (`tfplugin6.Provider`) over grpclib, after
go-plugin's handshake (handshake.py).

OpenTofu starts this executable once per provider configuration per phase, so start-up is
kept to the handshake: the kinds, the core and the HTTP stack load at the first RPC that needs
them. Each RPC decodes its values (values.py), calls the kind its `type_name` names, and turns
our errors into diagnostics (diagnostics.py). Nothing is written to stdout after the handshake
line; logs go to stderr, which OpenTofu forwards into TF_LOG.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Any

from grpclib.const import Cardinality, Handler
from grpclib.encoding.proto import ProtoCodec
from grpclib.server import Server, Stream

from ..errors import GitHubAppTokenError
from . import tfplugin6_pb2 as pb
from .diagnostics import capture, error, from_error, path, unexpected
from .handshake import GoPlugin, HandshakeError, client_cert_from, handshake_line, tls_context
from .values import decode, encode

# ---- tfplugin6.Provider --------------------------------------------------------------------

class _Failed(Exception):
    """Ends an RPC with these diagnostics."""

    def __init__(self, found: list[pb.Diagnostic]) -> None:
        super().__init__(len(found))
        self.diagnostics = found


async def _run(func: Callable[..., Any], *args: Any, config: dict[str, Any] | None = None) -> Any:
    """`func(*args)` in a worker thread (the loop stays free for other RPCs), our errors as
    diagnostics; `config` holds the values an attribute path would point at."""
    try:
        return await asyncio.to_thread(func, *args)
    except GitHubAppTokenError as err:
        raise _Failed([from_error(err, config)]) from None


def _check(found: list[pb.Diagnostic]) -> None:
    if found:
        raise _Failed(found)


def _kind(category: str, type_name: str) -> Any:
    """The module of the kind `type_name` names (loaded at first use), or an error."""
    from .schema import INSTALLATION, TOKEN

    modules = {("resource", TOKEN): "managed", ("ephemeral", TOKEN): "ephemeral",
               ("data source", INSTALLATION): "installation"}
    module = modules.get((category, type_name))
    if module is None:
        raise _Failed([error("Unknown type", f"this provider has no {category} {type_name}")])
    return import_module(f".{module}", __package__)


def _token_type() -> str:
    from .schema import TOKEN

    return TOKEN


def _settings_unset() -> Any:
    from .config import UNSET

    return UNSET


class ProviderService:
    """Each RPC decodes its values, calls the kind named by `type_name`, and encodes."""

    RPCS = ("GetMetadata", "GetProviderSchema", "ValidateProviderConfig", "ConfigureProvider",
            "ValidateResourceConfig", "UpgradeResourceState", "ReadResource",
            "PlanResourceChange", "ApplyResourceChange", "ImportResourceState",
            "ValidateDataResourceConfig", "ReadDataSource", "ValidateEphemeralResourceConfig",
            "OpenEphemeralResource", "RenewEphemeralResource", "CloseEphemeralResource",
            "StopProvider")

    def __init__(self) -> None:
        self._settings: Any = None  # the core loads at the first RPC, not before the handshake
        self._unclosed: set[bytes] = set()
        """`private` of each ephemeral token opened here and not closed yet."""

    @property
    def settings(self) -> Any:
        """The provider block's settings once configured, else the unknown UNSET."""
        return _settings_unset() if self._settings is None else self._settings

    def __mapping__(self) -> dict[str, Handler]:
        return {f"/tfplugin6.Provider/{rpc}": Handler(
            self._handler(rpc), Cardinality.UNARY_UNARY, getattr(pb, rpc).Request,
            getattr(pb, rpc).Response) for rpc in self.RPCS}

    def _handler(self, rpc: str) -> Callable[[Stream[Any, Any]], Awaitable[None]]:
        method = getattr(self, rpc)
        response_type = getattr(pb, rpc).Response

        async def handle(stream: Stream[Any, Any]) -> None:
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
        given = decode(request.config) or {}
        found = config.problems(config.as_written(given), given)
        return pb.ValidateProviderConfig.Response(diagnostics=found)

    async def ConfigureProvider(self, request: Any) -> Any:
        from . import config
        given = decode(request.config) or {}
        settings = await _run(config.from_config, given, config=given)
        _check(config.problems(settings, given))
        self._settings = settings
        return pb.ConfigureProvider.Response()

    async def StopProvider(self, _request: Any) -> Any:
        return pb.StopProvider.Response()  # every call to GitHub ends within its deadline

    # -- the managed token --

    async def ValidateResourceConfig(self, request: Any) -> Any:
        return pb.ValidateResourceConfig.Response(diagnostics=_validate("resource", request))

    async def UpgradeResourceState(self, request: Any) -> Any:
        kind = _kind("resource", request.type_name)
        state = kind.upgrade(request.raw_state.json)
        return pb.UpgradeResourceState.Response(upgraded_state=encode(state, kind.ATTRIBUTES))

    async def ReadResource(self, request: Any) -> Any:
        kind = _kind("resource", request.type_name)
        state = await _run(kind.read, decode(request.current_state))
        return pb.ReadResource.Response(new_state=encode(state, kind.ATTRIBUTES),
                                        private=request.private)

    async def PlanResourceChange(self, request: Any) -> Any:
        kind = _kind("resource", request.type_name)
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
        kind = _kind("resource", request.type_name)
        config = decode(request.config)
        state = await _run(kind.apply, self.settings, decode(request.prior_state),
                           decode(request.planned_state), config, config=config)
        return pb.ApplyResourceChange.Response(new_state=encode(state, kind.ATTRIBUTES),
                                               private=request.planned_private)

    async def ImportResourceState(self, request: Any) -> Any:
        kind = _kind("resource", request.type_name)
        raise _Failed([error("Import is not supported", kind.NOT_IMPORTABLE)])

    # -- the data source --

    async def ValidateDataResourceConfig(self, request: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response(
            diagnostics=_validate("data source", request))

    async def ReadDataSource(self, request: Any) -> Any:
        kind = _kind("data source", request.type_name)
        config = decode(request.config) or {}
        _check(kind.validate(self.settings, config))
        state = await _run(kind.read, self.settings, config, config=config)
        return pb.ReadDataSource.Response(state=encode(state, kind.ATTRIBUTES))

    # -- the ephemeral token --

    async def ValidateEphemeralResourceConfig(self, request: Any) -> Any:
        return pb.ValidateEphemeralResourceConfig.Response(
            diagnostics=_validate("ephemeral", request))

    async def OpenEphemeralResource(self, request: Any) -> Any:
        kind = _kind("ephemeral", request.type_name)
        config = decode(request.config) or {}
        _check(kind.validate(self.settings, config))
        result, private = await _run(kind.open_token, self.settings, config, config=config)
        self._unclosed.add(private)
        return pb.OpenEphemeralResource.Response(result=encode(result, kind.ATTRIBUTES),
                                                 private=private)

    async def RenewEphemeralResource(self, request: Any) -> Any:
        _kind("ephemeral", request.type_name)
        # OpenTofu replaces its copy of `private` with ours: hand it back for Close.
        return pb.RenewEphemeralResource.Response(private=request.private)

    async def CloseEphemeralResource(self, request: Any) -> Any:
        kind = _kind("ephemeral", request.type_name)
        await _run(kind.close_token, request.private)
        self._unclosed.discard(request.private)
        return pb.CloseEphemeralResource.Response()

    async def close_unclosed(self) -> None:
        """Revoke every ephemeral token this process opened and OpenTofu never closed.

        OpenTofu 1.11 skips Close when a node the ephemeral resource feeds has failed (a
        provisioner, say), so without this the token would stay valid for its hour.
        """
        if not self._unclosed:
            return
        kind = _kind("ephemeral", _token_type())
        closing = asyncio.gather(*(_run(kind.close_token, private) for private in self._unclosed),
                                 return_exceptions=True)
        try:
            # go-plugin kills a process 2 s after Shutdown: revoke what fits in that time.
            found = await asyncio.wait_for(closing, UNCLOSED_BUDGET)
            failed = sum(isinstance(result, BaseException) for result in found)
        except asyncio.TimeoutError:
            failed = len(self._unclosed)
        if failed:
            print(f"terraform-provider-githubapp: {failed} ephemeral token(s) left unclosed by "
                  "OpenTofu could not be revoked; they expire within the hour", file=sys.stderr)


def _validate(category: str, request: Any) -> list[pb.Diagnostic]:
    """A kind's configuration alone: the provider's is not known at validation."""
    return _kind(category, request.type_name).validate(_settings_unset(),
                                                       decode(request.config) or {})


# ---- serving ------------------------------------------------------------------------------

UNCLOSED_BUDGET = 1.5
"""Seconds spent revoking unclosed ephemeral tokens at Shutdown (go-plugin waits 2 s)."""
ORPHAN_CHECK = 1.0
"""Seconds between checks that OpenTofu, our parent, is still alive."""


async def _until_orphaned(stop: asyncio.Event) -> None:
    """Stop when our parent is gone (OpenTofu killed): no Shutdown will ever come."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(ORPHAN_CHECK)
    stop.set()


async def _serve(context: ssl.SSLContext, der: bytes) -> None:
    stop = asyncio.Event()
    provider = ProviderService()
    server = Server([provider, GoPlugin(stop)], codec=ProtoCodec())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    await server.start(sock=listener, ssl=context)
    print(handshake_line(listener.getsockname()[1], der), flush=True)
    sys.stdout = sys.stderr  # whatever prints from now on must not reach go-plugin's stdout
    watch = asyncio.create_task(_until_orphaned(stop))
    await stop.wait()
    watch.cancel()
    server.close()
    await asyncio.wait_for(server.wait_closed(), 5)  # RPCs still answering finish first
    await provider.close_unclosed()


def serve(environ: dict[str, str] | None = None) -> int:
    """Handshake and serve until OpenTofu asks us to shut down; returns the exit status."""
    try:
        client_cert = client_cert_from(dict(os.environ if environ is None else environ))
    except HandshakeError as err:
        print(f"terraform-provider-githubapp: {err}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # OpenTofu handles Ctrl-C (StopProvider)
    context, der = tls_context(client_cert)
    asyncio.run(_serve(context, der))
    # OpenTofu waits for each provider process to exit; tearing the interpreter down module
    # by module would add to every phase. Nothing is left to do or to write.
    sys.stderr.flush()
    os._exit(0)
