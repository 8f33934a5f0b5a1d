"""Pulumi's own dynamic-provider gRPC server in a subprocess, driven as the engine does."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc


class Server:
    def __init__(self, tmp_path) -> None:
        self.stderr_path = tmp_path / "provider.stderr"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE, stderr=self._stderr,
        )
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(
            args=struct(), acceptSecrets=True, acceptResources=True))

    def close(self) -> bytes:
        self.channel.close()
        self.process.terminate()
        self.process.wait(10)
        self._stderr.close()
        return self.stderr_path.read_bytes()


def struct(props: dict[str, Any] | None = None, unknown: tuple[str, ...] = ()) -> struct_pb2.Struct:
    """Properties as the engine serializes them, `unknown` keys as the preview sentinel."""
    result = asyncio.run(rpc.serialize_properties(dict(props or {}), {}))
    for key in unknown:
        result[key] = rpc.UNKNOWN
    return result


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return rpc.deserialize_properties(message)
