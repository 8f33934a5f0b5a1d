"""The lifecycle against real servers: renewal that converges, GitHub's clock sanity-checked,
and the warning that says so reaching each face's user."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2

from github_app_token import InstallationTokenProvider, clock, lifecycle
from github_app_token.inputs import parse_inputs

from .support.dynamic_server import Server, plain, struct
from .support.net import Scripted
from .support.secrets import new_rsa_pem
from .test_plugin import Plugin

PEM = new_rsa_pem()
EPOCH_DATE = "Thu, 01 Jan 1970 00:00:00 GMT"
WARNING = "GitHub's answer has no Date header that fits the token it minted"


def spec(base_url: str, pem: str = PEM, app_id: int = 1, installation_id: int = 1, **more: Any):
    return parse_inputs({"app_id": app_id, "private_key": pem, "installation_id": installation_id,
                         "base_url": base_url, **more})


@pytest.fixture
def epoch_github() -> Iterator[Scripted]:
    """A server that mints an hour-long token in a 201 whose `Date` says 1970."""
    server = Scripted()

    def answer(method: str, path: str, credential: str) -> tuple[int, dict, bytes]:
        if method != "POST":
            return 204, {"Date": EPOCH_DATE}, b""
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return 201, {"Date": EPOCH_DATE}, b'{"token": "tok", "expires_at": "%s"}' % (
            expires.encode())

    server.script = answer
    yield server
    server.close()


def test_a_token_granted_for_less_than_renew_before_renews_at_half_its_life(gh) -> None:
    """Finding 8: 900 s granted, renew_before 1800: no longer re-minted on every run."""
    gh.token_lifetime = 900
    outs = lifecycle.mint(spec(gh.base_url, gh.private_key_pem, gh.app_id, gh.installation_id))
    assert abs(outs["lifetime"] - 900) <= 1
    news = {**outs, "private_key": gh.private_key_pem}
    assert lifecycle.plan(outs, news) == ([], [])
    assert lifecycle.plan(outs, news, clock.now() + 440) == ([], [])
    assert lifecycle.plan(outs, news, clock.now() + 460) == (["expires_at"], [])


def test_a_201_dated_1970_does_not_freeze_renewal(epoch_github: Scripted) -> None:
    """Finding 7: `Date: 1970` once gave clock_offset ~ -1.8e9, and renewal never came."""
    outs = lifecycle.mint(spec(epoch_github.base_url))
    assert outs["clock_offset"] == 0.0 and 3590 <= outs["lifetime"] <= 3600
    news = {**outs, "private_key": PEM}
    assert lifecycle.plan(outs, news) == ([], [])
    a_year_on = clock.now() + 365 * 86400
    assert lifecycle.plan(outs, news, a_year_on) == (["expires_at"], [])
    assert lifecycle.still_live(outs, a_year_on) is False, "dead on a believable clock"
    assert len(epoch_github.seen) == 1, "judged without asking"


def test_the_dynamic_provider_shows_the_warning(epoch_github: Scripted, tmp_path: Path) -> None:
    server = Server(tmp_path)
    props = {"app_id": 1, "private_key": PEM, "installation_id": 1,
             "base_url": epoch_github.base_url,
             "__provider": serialize_provider(InstallationTokenProvider())}
    urn = "urn:pulumi:dev::proj::pulumi-python:dynamic/github:InstallationToken::ci"
    try:
        checked = server.stub.Check(provider_pb2.CheckRequest(urn=urn, olds=struct(),
                                                              news=struct(props)))
        created = server.stub.Create(provider_pb2.CreateRequest(urn=urn,
                                                                properties=checked.inputs))
    finally:
        stderr = server.close().decode()
    assert plain(created.properties)["clock_offset"] == 0.0
    assert f"warning: {WARNING}" in stderr


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[engine_pb2.LogRequest] = []

    def Log(self, request, context):  # gRPC's name
        self.logs.append(request)
        return empty_pb2.Empty()


def test_the_plugin_sends_the_warning_to_the_engine(epoch_github: Scripted,
                                                    tmp_path: Path) -> None:
    engine = _Engine()
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    plugin = Plugin(tmp_path, engine=f"127.0.0.1:{port}")
    try:
        plugin.configure({"appId": 1, "privateKey": PEM, "baseUrl": epoch_github.base_url})
        checked = plugin.check({"installationId": 1})
        plugin.call("Create", provider_pb2.CreateRequest(
            urn="urn:pulumi:dev::proj::github-app-token:index:InstallationToken::ci",
            properties=checked.inputs))
    finally:
        plugin.close()
        grpc_server.stop(grace=None)
    [log] = engine.logs
    assert log.severity == engine_pb2.WARNING and log.message.startswith(WARNING)
