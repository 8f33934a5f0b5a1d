"""Stacks written by old code keep working: a `__provider` pickled by main at 7e556fd.

tests/data/pickled-provider/ holds the value as Pulumi stored it in state. Pulumi's own
dynamic-provider server unpickles it, as it would for an existing stack, and must diff and
delete with it. State of that age has no `clock_offset`.
"""

from __future__ import annotations

import base64
from typing import Any

from pulumi.runtime.proto import provider_pb2

from .support.dynamic_server import Server, plain, struct
from .support.ledger import assert_ledger
from .support.paths import REPO
from .support.secrets import assert_no_secret

FROZEN = (REPO / "tests" / "data" / "pickled-provider" / "main-7e556fd.b64").read_text().strip()
URN = "urn:pulumi:dev::old::pulumi-python:dynamic/github:InstallationToken::ci"


def test_the_frozen_value_names_the_provider_by_reference() -> None:
    raw = base64.b64decode(FROZEN)
    assert b"github_app_token.provider" in raw and b"InstallationTokenProvider" in raw
    assert len(raw) < 256


def test_a_provider_pickled_by_old_code_diffs_and_deletes(gh, tmp_path) -> None:
    server = Server(tmp_path)
    news: dict[str, Any] = {
        "app_id": gh.app_id, "private_key": gh.private_key_pem,
        "installation_id": gh.installation_id, "base_url": gh.base_url,
        "repositories": ["infra"], "__provider": FROZEN}
    try:
        checked = server.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct(),
                                                              news=struct(news)))
        assert list(checked.failures) == []
        created = server.stub.Create(provider_pb2.CreateRequest(urn=URN,
                                                                properties=checked.inputs))
        # State as that code wrote it: no clock_offset, and the frozen provider.
        old = {k: v for k, v in plain(created.properties).items() if k != "clock_offset"}
        old["__provider"] = FROZEN
        token = old["token"]
        olds = struct(old)

        same = server.stub.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=olds,
                                                         news=checked.inputs))
        assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
        wider = server.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=olds, news=struct({**news, "repositories": ["infra", "docs"]})))
        diff = server.stub.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=olds,
                                                         news=wider.inputs))
        assert list(diff.replaces) == ["repositories"] and not diff.deleteBeforeReplace

        server.stub.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=olds))
        assert gh.token_state(token) == "revoked"
        assert_ledger(gh, [])
    finally:
        stderr = server.close()
    assert_no_secret(stderr, token, gh.private_key_pem)
