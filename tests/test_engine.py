"""The engine protocol: Pulumi's own dynamic-provider server, driven over gRPC.

`python -m pulumi.dynamic` is the process `pulumi up` starts for dynamic
resources; properties and the provider are serialized as the engine does.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from github_app_token import InstallationTokenProvider

from .support.secrets import assert_no_secret

URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/github:InstallationToken::ci"
PROVIDER = serialize_provider(InstallationTokenProvider())


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


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    srv = Server(tmp_path)
    yield srv
    srv.close()


def inputs(gh, **overrides: Any) -> dict[str, Any]:
    props = {"app_id": gh.app_id, "private_key": gh.private_key_pem,
             "installation_id": gh.installation_id, "base_url": gh.base_url,
             "permissions": {"contents": "read"}, "repositories": ["infra"],
             "__provider": PROVIDER}
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


def check(server: Server, news: dict, unknown: tuple[str, ...] = ()) -> provider_pb2.CheckResponse:
    return server.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct(), news=struct(news, unknown)))


def test_full_lifecycle_over_grpc(gh, server: Server) -> None:
    gh.token_lifetime = 1000  # so raising renew_before past 1000 s puts it in the window
    checked = check(server, inputs(gh, renew_before=600))
    assert list(checked.failures) == []
    created = server.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
    outs = plain(created.properties)
    token = outs["token"]
    assert gh.token_state(token) == "live"
    assert outs["installation_id"] == gh.installation_id
    assert token not in created.id

    same = server.stub.Diff(provider_pb2.DiffRequest(
        id=created.id, urn=URN, olds=created.properties, news=checked.inputs))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE

    rotated = check(server, inputs(gh, private_key=gh.add_key(), renew_before=900))
    diff = server.stub.Diff(provider_pb2.DiffRequest(
        id=created.id, urn=URN, olds=created.properties, news=rotated.inputs))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = server.stub.Update(provider_pb2.UpdateRequest(
        id=created.id, urn=URN, olds=created.properties, news=rotated.inputs))
    assert plain(updated.properties)["token"] == token
    assert plain(updated.properties)["renew_before"] == 900

    read = server.stub.Read(provider_pb2.ReadRequest(
        id=created.id, urn=URN, properties=updated.properties))
    assert read.id == created.id and plain(read.properties)["token"] == token

    wider = check(server, inputs(gh, private_key=gh.private_key_pem, renew_before=1200))
    due = server.stub.Diff(provider_pb2.DiffRequest(
        id=created.id, urn=URN, olds=updated.properties, news=wider.inputs))
    assert list(due.replaces) == ["expires_at"] and not due.deleteBeforeReplace

    server.stub.Delete(provider_pb2.DeleteRequest(
        id=created.id, urn=URN, properties=updated.properties))
    assert gh.token_state(token) == "revoked"

    gone = server.stub.Read(provider_pb2.ReadRequest(
        id=created.id, urn=URN, properties=updated.properties))
    assert gone.id == ""

    stderr = server.close()
    assert_no_secret(stderr, token, gh.private_key_pem)


def test_check_failures_name_properties(gh, server: Server) -> None:
    checked = check(server, inputs(gh, permissions={"contens": "read"}, repositories=["a/b"]))
    failures = {f.property: f.reason for f in checked.failures}
    assert "did you mean 'contents'" in failures["permissions"]
    assert "repositories[0]" in failures


def test_preview_with_unknown_inputs(gh, server: Server) -> None:
    checked = check(server, inputs(gh), unknown=("installation_id",))
    assert list(checked.failures) == []
    created = server.stub.Create(provider_pb2.CreateRequest(
        urn=URN, properties=check(server, inputs(gh)).inputs))
    diff = server.stub.Diff(provider_pb2.DiffRequest(
        id=created.id, urn=URN, olds=created.properties, news=checked.inputs))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert "installation_id" in diff.replaces


def test_github_errors_reach_the_engine_without_secrets(gh, server: Server) -> None:
    checked = check(server, inputs(gh, permissions={"administration": "write"}))
    with pytest.raises(grpc.RpcError) as info:
        server.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
    details = info.value.details()
    assert "The permissions requested are not granted to this installation." in details
    assert "permissions={'administration': 'write'}" in details
    assert_no_secret(details, gh.private_key_pem)


def test_serialized_provider_is_small_and_holds_no_key(gh) -> None:
    raw = base64.b64decode(PROVIDER)
    assert len(raw) < 1024, len(raw)
    assert b"github_app_token.provider" in raw, "pickled by reference"
    assert_no_secret(raw, gh.private_key_pem)
