"""The plugin's gRPC server: Pulumi's provider servicer, with our errors answered as our message.

Pulumi's experimental server wraps every exception a hook raises in
`Exception(f"{err}:\\n{stack}")`, which gRPC then reports as `Unexpected <class 'Exception'>:
...`: a wrong installation id read like a crash. The interceptor below sees each failed call
first. When the failure is one of ours (the GitHubAppTokenError tree), raised as is or wrapped
once by that server, it answers with our message alone, spelled with this face's names.
Anything else is a bug and keeps Pulumi's answer, stack included, for the report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.provider import Provider
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2_grpc

from ..errors import GitHubAppTokenError
from .wire import wire_text

_OPTIONS = [
    # As Pulumi's own server: the engine may send a whole state in one message, and a call
    # may wait long for a worker.
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.server_max_unrequested_time_in_server", 30 * 60),
]


def ours(err: BaseException) -> GitHubAppTokenError | None:
    """Our error behind `err`: `err` itself, or the one Pulumi's server wrapped it around."""
    if isinstance(err, GitHubAppTokenError):
        return err
    inner = err.__cause__ or err.__context__
    if (type(err) is Exception and isinstance(inner, GitHubAppTokenError)
            and str(err).startswith(str(inner))):
        return inner
    return None


class OurErrorsAsMessages(grpc.aio.ServerInterceptor):
    """Answers a call that failed with one of our errors with its message as the details."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler  # every provider RPC is unary; anything else passes untouched
        call = handler.unary_unary

        async def answer(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                return await call(request, context)
            except Exception as err:
                found = ours(err)
                if found is None:
                    raise
                # The code Pulumi's server answers with too, so the engine's handling is kept.
                await context.abort(grpc.StatusCode.UNKNOWN, wire_text(str(found)))

        return grpc.unary_unary_rpc_method_handler(
            answer, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)


def _arguments(argv: list[str], version: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pulumi-resource-github-app-token",
        description="The github-app-token Pulumi provider plugin. The Pulumi engine starts it "
                    "with its own address; it prints the port it serves on.")
    parser.add_argument("engine", help="the Pulumi engine's address")
    parser.add_argument("--version", action="version", version=version)
    # The engine also passes Go-style flags (--logtostderr, -v=N, --tracing URL): ignored.
    known, _ = parser.parse_known_args(argv)
    return known


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT (the engine's way to end a plugin) or SIGTERM. Stopping the
    server before the loop closes spares the user gRPC's `Event loop is closed` traceback."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: the default handlers stay
            loop.add_signal_handler(signum, stop.set)
    return stop


def serve(argv: list[str], version: str, provider: Provider) -> None:
    """Serve `provider` on a loopback port and print the port, as the engine asks."""
    engine = _arguments(argv[1:], version).engine

    async def run() -> None:
        stop = _stop_on_signals()  # before the port is printed: the engine may stop us at once
        server = grpc.aio.server(interceptors=[OurErrorsAsMessages()], options=_OPTIONS)
        servicer = ProviderServicer(argv, version, provider, engine_address=engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await stop.wait()
        await server.stop(None)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
