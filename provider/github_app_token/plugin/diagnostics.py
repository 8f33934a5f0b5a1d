"""The core's warnings (logger `github_app_token`) as the engine's warnings, for the plugin.

The engine shows a resource plugin's stderr only at debug verbosity, so a warning is sent to
the engine's `Log` service at the address the engine started the plugin with; without one
(or when the engine cannot be reached) it goes to stderr.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

LOGGER = "github_app_token"


class EngineWarnings(logging.Handler):
    def __init__(self, engine: str | None) -> None:
        super().__init__(logging.WARNING)
        channel = grpc.insecure_channel(engine) if engine else None
        self._engine = engine_pb2_grpc.EngineStub(channel) if channel else None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self._engine is not None:
            try:
                self._engine.Log(engine_pb2.LogRequest(severity=engine_pb2.WARNING,
                                                       message=message), timeout=5)
                return
            except grpc.RpcError:
                pass
        print(f"warning: {message}", file=sys.stderr, flush=True)


def forward_warnings(argv: Sequence[str]) -> None:
    """Send the core's warnings to the engine whose address is the first argument."""
    engine = next((arg for arg in argv[1:] if not arg.startswith("-")), None)
    logging.getLogger(LOGGER).addHandler(EngineWarnings(engine))
