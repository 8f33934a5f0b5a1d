"""The program side: InstallationToken under Pulumi's mock monitor."""

from __future__ import annotations

import asyncio
from dataclasses import fields
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from github_app_token import InstallationToken, InstallationTokenArgs
from github_app_token.declaration import INPUTS, OUTPUTS
from github_app_token.resource import RESULTS

from .support.secrets import new_rsa_pem

PEM = new_rsa_pem()
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")
ENV = ("GITHUB_APP_ID", "GITHUB_APP_INSTALLATION_ID", "GITHUB_APP_PEM_FILE",
       "GITHUB_APP_PRIVATE_KEY", "GITHUB_BASE_URL")


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", {**args.inputs, "token": "minted", "installation_id": 456}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        self.registered.append(request)
        return super().RegisterResource(request)


@pytest.fixture
def monitor(monkeypatch) -> RecordingMonitor:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    # Other tests' asyncio.run() leaves no current loop; the mock runtime needs one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    recorder = RecordingMonitor(Mocks())
    pulumi.runtime.set_mocks(Mocks(), preview=False, monitor=recorder)
    return recorder


def registration(monitor: RecordingMonitor) -> Any:
    [request] = [r for r in monitor.registered if r.type != "pulumi:pulumi:Stack"]
    return request


def is_secret(value: Any) -> bool:
    return hasattr(value, "fields") and value[SECRET_SIG[0]] == SECRET_SIG[1]


@pulumi.runtime.test
def test_registration_marks_key_and_token_secret(monitor: RecordingMonitor):
    tok = InstallationToken("ci", app_id=123, private_key=PEM, installation_id=456,
                            repositories=["infra"], permissions={"contents": "read"})

    def check(_: Any) -> None:
        request = registration(monitor)
        assert request.type == "pulumi-python:dynamic/github:InstallationToken"
        assert "token" in request.additionalSecretOutputs
        assert is_secret(request.object["private_key"])
        assert request.object["private_key"]["value"] == PEM
        assert not is_secret(request.object["__provider"]), "a class pointer, no credential"
        assert request.object["app_id"] == 123
        assert list(request.object["repositories"]) == ["infra"]
        assert dict(request.object["permissions"]) == {"contents": "read"}

    for output in ("token", "expires_at", "granted_permissions", "key_fingerprint"):
        assert isinstance(getattr(tok, output), pulumi.Output)
    return tok.token.apply(check)


@pulumi.runtime.test
def test_args_object_and_secret_inputs(monitor: RecordingMonitor):
    args = InstallationTokenArgs(client_id="Iv1.abc", private_key=pulumi.Output.secret(PEM),
                                 owner="octo-org", renew_before=600, revoke_on_delete=False)
    tok = InstallationToken("ci", args)

    def check(_: Any) -> None:
        obj = registration(monitor).object
        assert obj["client_id"] == "Iv1.abc" and obj["owner"] == "octo-org"
        assert obj["renew_before"] == 600 and obj["revoke_on_delete"] is False
        assert is_secret(obj["private_key"])

    return tok.token.apply(check)


@pulumi.runtime.test
def test_environment_fallbacks(monitor: RecordingMonitor, monkeypatch, tmp_path):
    pem_file = tmp_path / "app.pem"
    pem_file.write_text(PEM)
    monkeypatch.setenv("GITHUB_APP_ID", "77")
    monkeypatch.setenv("GITHUB_APP_INSTALLATION_ID", "88")
    monkeypatch.setenv("GITHUB_APP_PEM_FILE", str(pem_file))
    monkeypatch.setenv("GITHUB_BASE_URL", "https://ghe.example.com/api/v3")
    tok = InstallationToken("ci")

    def check(_: Any) -> None:
        obj = registration(monitor).object
        assert obj["app_id"] == "77" and obj["installation_id"] == "88"
        assert obj["base_url"] == "https://ghe.example.com/api/v3"
        assert is_secret(obj["private_key"]) and obj["private_key"]["value"] == PEM

    return tok.token.apply(check)


def test_args_and_outputs_follow_the_declaration() -> None:
    assert [f.name for f in fields(InstallationTokenArgs)] == [spec.name for spec in INPUTS]
    annotated = set(InstallationToken.__annotations__)
    assert {out.name for out in OUTPUTS} <= annotated
    assert set(RESULTS) == {out.name for out in OUTPUTS} - {spec.name for spec in INPUTS}
