"""The engine protocol: Pulumi's own dynamic-provider server, driven over gRPC.

`python -m pulumi.dynamic` is the process `pulumi up` starts for dynamic
resources; properties and the provider are serialized as the engine does.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from github_app_token import InstallationTokenProvider

from .support.buggy import BUG, BuggyTokenProvider
from .support.dynamic_server import Server, plain, struct
from .support.ledger import assert_ledger
from .support.pasted import pasted
from .support.paths import REPO
from .support.secrets import assert_no_secret

URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/github:InstallationToken::ci"
PROVIDER = serialize_provider(InstallationTokenProvider())


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
    gh.token_lifetime = 1000  # renewal starts at half of it: 500 s before expiry
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

    # 400 s left: past half the granted 1000 s, though short of renew_before (900 s).
    aged = {**plain(updated.properties),
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 400))}
    due = server.stub.Diff(provider_pb2.DiffRequest(
        id=created.id, urn=URN, olds=struct(aged), news=rotated.inputs))
    assert list(due.replaces) == ["expires_at"] and not due.deleteBeforeReplace

    server.stub.Delete(provider_pb2.DeleteRequest(
        id=created.id, urn=URN, properties=updated.properties))
    assert gh.token_state(token) == "revoked"

    gone = server.stub.Read(provider_pb2.ReadRequest(
        id=created.id, urn=URN, properties=updated.properties))
    assert gone.id == ""
    assert_ledger(gh, [])

    stderr = server.close()
    assert_no_secret(stderr, token, gh.private_key_pem)


def test_check_failures_name_properties(gh, server: Server) -> None:
    checked = check(server, inputs(gh, permissions={"contens": "read"}, repositories=["a/b"]))
    failures = {f.property: f.reason for f in checked.failures}
    assert "did you mean 'contents'" in failures["permissions"]
    assert "repositories[0]" in failures


def test_a_pasted_secret_fails_without_a_property_to_print(gh, server: Server) -> None:
    secret = pasted()
    checked = check(server, inputs(gh, installation_id=None, owner=secret.token,
                                   repository=secret.jwt, base_url=secret.key))
    assert {f.property for f in checked.failures} == {"", "installation_id"}
    assert sorted(f.reason.split(":")[0] for f in checked.failures if not f.property) == [
        "base_url", "owner", "repository"]
    assert_no_secret(checked.SerializeToString(), *secret.all)


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
    assert "does not grant administration=write" in details
    assert_no_secret(details, gh.private_key_pem)


def test_serialized_provider_is_small_and_holds_no_key(gh) -> None:
    raw = base64.b64decode(PROVIDER)
    assert len(raw) < 1024, len(raw)
    assert b"github_app_token.provider" in raw, "pickled by reference"
    assert_no_secret(raw, gh.private_key_pem)


def failed_details(call: Any, request: Any) -> str:
    with pytest.raises(grpc.RpcError) as info:
        call(request)
    return info.value.details()


def test_our_errors_reach_the_engine_as_their_message(gh, server: Server) -> None:
    # Pulumi's server answers a failed hook with `traceback.format_exc()`; ours read as ours.
    wrong = check(server, inputs(gh, installation_id=999999)).inputs
    details = failed_details(server.stub.Create, provider_pb2.CreateRequest(
        urn=URN, properties=wrong))
    assert details.startswith("GitHub answered 404 to POST /app/installations/")
    assert "check installation_id" in details and "Traceback" not in details

    created = server.stub.Create(provider_pb2.CreateRequest(
        urn=URN, properties=check(server, inputs(gh)).inputs))
    gh.inject("error", count=5, status=403, path="/installation/token")
    details = failed_details(server.stub.Delete, provider_pb2.DeleteRequest(
        id=created.id, urn=URN, properties=created.properties))
    assert details.startswith("could not revoke the installation token")
    assert "\n" not in details and "Traceback" not in details


def test_an_unexpected_exception_keeps_its_traceback(gh, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)  # the server imports the buggy provider from tests.support
    srv = Server(tmp_path)
    try:
        props = inputs(gh, __provider=serialize_provider(BuggyTokenProvider()))
        details = failed_details(srv.stub.Create, provider_pb2.CreateRequest(
            urn=URN, properties=check(srv, props).inputs))
    finally:
        srv.close()
    assert details.startswith("Traceback (most recent call last):")
    assert f"ZeroDivisionError: {BUG}" in details and "buggy.py" in details
