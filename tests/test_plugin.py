"""The plugin face over gRPC: `pulumi-resource-github-app-token` driven as the engine drives it.

The executable pip installs is started as a subprocess and spoken to with Pulumi's own
protobufs, against the emulator. Secrets are searched for, byte for byte, in every response
except the token's own field, and in the plugin's stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from github_app_token.plugin.schema import render

from .support.buggy import BUG
from .support.pasted import pasted
from .support.paths import REPO
from .support.secrets import assert_no_secret

TYPE = "github-app-token:index:InstallationToken"
URN = f"urn:pulumi:dev::proj::{TYPE}::ci"
EXE = Path(sys.executable).with_name("pulumi-resource-github-app-token")
Diff = provider_pb2.DiffResponse
Kind = provider_pb2.PropertyDiff


def wire(props: dict[str, Any], secret: tuple[str, ...] = ()) -> struct_pb2.Struct:
    """camelCase properties as the engine marshals them; `secret` names wrapped as secrets."""
    def value(v: Any) -> PropertyValue:
        if isinstance(v, dict):
            return PropertyValue({k: value(x) for k, x in v.items()})
        if isinstance(v, list):
            return PropertyValue([value(x) for x in v])
        return PropertyValue(float(v) if isinstance(v, int) and not isinstance(v, bool) else v)
    return PropertyValue.marshal_map(
        {k: value(v).with_secret(k in secret) for k, v in props.items() if v is not None})


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    def unwrap(v: PropertyValue) -> Any:
        inner = v.value
        if hasattr(inner, "items"):
            return {k: unwrap(x) for k, x in inner.items()}
        if isinstance(inner, tuple):
            return [unwrap(x) for x in inner]
        return inner
    return {k: unwrap(v) for k, v in PropertyValue.unmarshal_map(message).items()}


def secret_keys(message: struct_pb2.Struct) -> set[str]:
    return {k for k, v in PropertyValue.unmarshal_map(message).items() if v.is_secret}


class Plugin:
    """The installed plugin executable, serving on a loopback port."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None,
                 engine: str = "127.0.0.1:1", command: tuple[str, ...] = (str(EXE),)) -> None:
        self.stderr_path = tmp_path / "plugin.stderr"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in close()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        self.process = subprocess.Popen(
            [*command, engine], stdout=subprocess.PIPE, stderr=self._stderr,
            env={**clean, **(env or {})},
        )
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.seen: list[bytes] = []
        """Serialized responses, for the secret search."""

    def call(self, method: str, request: Any) -> Any:
        response = getattr(self.stub, method)(request)
        self.seen.append(response.SerializeToString())
        return response

    def configure(self, args: dict[str, Any]) -> Any:
        return self.call("Configure", provider_pb2.ConfigureRequest(
            args=wire(args, secret=("privateKey",)), acceptSecrets=True, acceptResources=True))

    def check(self, news: dict[str, Any], unknown: tuple[str, ...] = ()) -> Any:
        props = wire(news)
        for key in unknown:
            props[key] = UNKNOWN
        return self.call("Check", provider_pb2.CheckRequest(urn=URN, olds=wire({}), news=props))

    def diff(self, olds: struct_pb2.Struct, news: struct_pb2.Struct) -> Any:
        return self.call("Diff", provider_pb2.DiffRequest(id="x", urn=URN, olds=olds, news=news))

    def close(self) -> bytes:
        self.channel.close()
        self.process.terminate()
        self.process.wait(10)
        self._stderr.close()
        return self.stderr_path.read_bytes()


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Plugin]:
    srv = Plugin(tmp_path)
    yield srv
    srv.close()


def app(gh: Any, **overrides: Any) -> dict[str, Any]:
    return {"appId": gh.app_id, "privateKey": gh.private_key_pem, "baseUrl": gh.base_url,
            **overrides}


def scope(gh: Any, **overrides: Any) -> dict[str, Any]:
    return {"installationId": gh.installation_id, "permissions": {"contents": "read"},
            "repositories": ["infra"], **overrides}


def test_the_checked_in_schema_is_the_generated_one() -> None:
    path = Path(__file__).parents[1] / "provider/github_app_token/plugin/schema.json"
    assert path.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m github_app_token.plugin.schema > " + str(path))


def test_pip_puts_the_plugin_on_path() -> None:
    assert EXE.is_file() and os.access(EXE, os.X_OK)
    venv_bin = str(EXE.parent)
    assert shutil.which("pulumi-resource-github-app-token", path=venv_bin) == str(EXE)


def test_schema_over_grpc(plugin: Plugin) -> None:
    schema = json.loads(plugin.call("GetSchema", provider_pb2.GetSchemaRequest()).schema)
    assert schema["name"] == "github-app-token"
    resource = schema["resources"][TYPE]
    assert resource["properties"]["token"]["secret"] is True
    assert schema["config"]["variables"]["privateKey"]["secret"] is True
    assert "privateKey" not in resource["inputProperties"]
    assert "privateKey" not in resource["properties"]
    assert set(resource["inputProperties"]) == {
        "installationId", "owner", "repository", "repositories", "repositoryIds",
        "permissions", "renewBefore", "revokeOnDelete"}
    assert set(schema["functions"]) == {"github-app-token:index:getInstallation"}
    info = plugin.call("GetPluginInfo", __import__("google.protobuf.empty_pb2").protobuf
                       .empty_pb2.Empty())
    assert info.version


def test_full_lifecycle_over_grpc(gh, tmp_path: Path) -> None:
    gh.token_lifetime = 1000  # renewal starts at half of it: 500 s before expiry
    plugin = Plugin(tmp_path)
    configured = plugin.configure(app(gh))
    assert configured.acceptSecrets and not configured.supportsPreview

    checked = plugin.check(scope(gh, renewBefore=600))
    assert list(checked.failures) == []
    assert "privateKey" not in checked.inputs.fields  # the key lives in the provider only
    assert plain(checked.inputs)["appId"] == gh.app_id

    created = plugin.call("Create", provider_pb2.CreateRequest(urn=URN,
                                                               properties=checked.inputs))
    outs = plain(created.properties)
    token = outs["token"]
    assert gh.token_state(token) == "live" and token not in created.id
    assert secret_keys(created.properties) == {"token"}
    assert outs["installationId"] == gh.installation_id
    assert outs["grantedPermissions"] == {"contents": "read", "metadata": "read"} or \
        outs["grantedPermissions"]["contents"] == "read"
    assert outs["keyFingerprint"].startswith("SHA256:") and "privateKey" not in outs

    gh.clear_log()
    same = plugin.diff(created.properties, checked.inputs)
    assert same.changes == Diff.DIFF_NONE and gh.requests == []

    narrower = plugin.check(scope(gh, renewBefore=600, permissions={"issues": "read"}))
    changed = plugin.diff(created.properties, narrower.inputs)
    assert list(changed.replaces) == ["permissions"] and not changed.deleteBeforeReplace
    assert changed.detailedDiff["permissions"].kind == Kind.UPDATE_REPLACE

    # A new key in the provider configuration: noticed by fingerprint, updated in place.
    new_key = gh.add_key()
    plugin.configure(app(gh, privateKey=new_key))
    rotated = plugin.check(scope(gh, renewBefore=900))
    diff = plugin.diff(created.properties, rotated.inputs)
    assert diff.changes == Diff.DIFF_SOME and list(diff.replaces) == []
    assert diff.detailedDiff["keyFingerprint"].kind == Kind.UPDATE
    assert not diff.detailedDiff["keyFingerprint"].inputDiff
    assert diff.detailedDiff["renewBefore"].kind == Kind.UPDATE
    updated = plugin.call("Update", provider_pb2.UpdateRequest(
        id=created.id, urn=URN, olds=created.properties, news=rotated.inputs))
    after = plain(updated.properties)
    assert after["token"] == token and after["renewBefore"] == 900
    assert after["keyFingerprint"] != outs["keyFingerprint"]
    assert secret_keys(updated.properties) == {"token"}

    read = plugin.call("Read", provider_pb2.ReadRequest(
        id=created.id, urn=URN, properties=updated.properties, inputs=rotated.inputs))
    assert read.id == created.id and plain(read.properties)["token"] == token

    # 400 s left: past half the granted 1000 s, though short of renewBefore (900 s).
    aged = {**plain(updated.properties),
            "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 400))}
    due = plugin.diff(wire(aged), rotated.inputs)
    assert list(due.replaces) == ["expiresAt"]
    assert due.detailedDiff["expiresAt"].kind == Kind.UPDATE_REPLACE
    assert not due.detailedDiff["expiresAt"].inputDiff

    plugin.call("Delete", provider_pb2.DeleteRequest(
        id=created.id, urn=URN, properties=updated.properties))
    assert gh.token_state(token) == "revoked"

    stderr = plugin.close()
    everything = b"".join(plugin.seen).replace(token.encode(), b"") + stderr
    assert_no_secret(everything, gh.private_key_pem, new_key, token)


def test_check_speaks_camel_case(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    checked = plugin.check({"owner": "acme", "installationId": 5,
                            "repositoryIds": [1, -2], "renewBefore": 99999})
    failures = {f.property: f.reason for f in checked.failures}
    assert set(failures) == {"installationId", "repositoryIds[1]", "renewBefore"}
    assert "installationId or owner or repository" in failures["installationId"]
    assert "_id" not in " ".join(failures.values())


def test_unknown_inputs_pass_check_and_diff(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    checked = plugin.check(scope(gh), unknown=("permissions",))
    assert list(checked.failures) == []
    assert checked.inputs.fields["permissions"].string_value == UNKNOWN


@pytest.mark.parametrize("given", ["path", "contents"])
def test_config_from_the_environment(gh, tmp_path: Path, given: str) -> None:
    # GITHUB_APP_PEM_FILE: a path, or the key's text as integrations/github reads it.
    pem = tmp_path / "app.pem"
    pem.write_text(gh.private_key_pem)
    plugin = Plugin(tmp_path, env={"GITHUB_APP_ID": str(gh.app_id),
                                   "GITHUB_APP_PEM_FILE": str(pem) if given == "path"
                                   else gh.private_key_pem,
                                   "GITHUB_BASE_URL": gh.base_url})
    try:
        plugin.configure({})
        checked = plugin.check(scope(gh))
        assert list(checked.failures) == []
        created = plugin.call("Create", provider_pb2.CreateRequest(
            urn=URN, properties=checked.inputs))
        assert gh.token_state(plain(created.properties)["token"]) == "live"
    finally:
        plugin.close()


def test_check_config_hides_the_key_and_says_where_to_set_it(gh, plugin: Plugin) -> None:
    fine = plugin.call("CheckConfig", provider_pb2.CheckRequest(
        urn="urn:pulumi:dev::proj::pulumi:providers:github-app-token::default",
        olds=wire({}), news=wire(app(gh))))
    assert list(fine.failures) == [] and secret_keys(fine.inputs) == {"privateKey"}
    assert set(fine.inputs.fields) == {"appId", "privateKey", "baseUrl"}

    missing = plugin.call("CheckConfig", provider_pb2.CheckRequest(
        urn="urn:pulumi:dev::proj::pulumi:providers:github-app-token::default",
        olds=wire({}), news=wire({"appId": gh.app_id, "privateKey": "not a key"})))
    [failure] = missing.failures
    assert failure.property == "privateKey"
    assert "pulumi config set --secret github-app-token:privateKey" in failure.reason
    # The key goes back only inside the secret envelope the engine encrypts for state.
    assert_no_secret(failure.reason, gh.private_key_pem)


def test_import_is_refused_with_a_reason(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    with pytest.raises(grpc.RpcError) as caught:
        plugin.call("Read", provider_pb2.ReadRequest(id="123-abc", urn=URN))
    assert "cannot be imported" in caught.value.details()
    assert "pulumi up" in caught.value.details()


def test_refresh_drops_a_revoked_token(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    checked = plugin.check(scope(gh))
    created = plugin.call("Create", provider_pb2.CreateRequest(urn=URN,
                                                               properties=checked.inputs))
    gh.revoke_all()
    read = plugin.call("Read", provider_pb2.ReadRequest(
        id=created.id, urn=URN, properties=created.properties, inputs=checked.inputs))
    assert read.id == ""


def test_a_refused_mint_names_the_camel_case_property(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    checked = plugin.check(scope(gh, permissions={"administration": "write"}))
    with pytest.raises(grpc.RpcError) as caught:
        plugin.call("Create", provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
    details = caught.value.details()
    assert "GitHub answered 422" in details
    assert_no_secret(details, gh.private_key_pem)


def test_invoke_get_installation(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    tok = "github-app-token:index:getInstallation"
    by_owner = plugin.call("Invoke", provider_pb2.InvokeRequest(
        tok=tok, args=wire({"owner": gh.account})))
    found = plain(getattr(by_owner, "return"))
    assert found["installationId"] == gh.installation_id and found["account"] == gh.account
    assert found["repositorySelection"] in ("all", "selected") and found["permissions"]

    by_id = plugin.call("Invoke", provider_pb2.InvokeRequest(
        tok=tok, args=wire({"installationId": gh.installation_id})))
    assert plain(getattr(by_id, "return")) == found

    neither = plugin.call("Invoke", provider_pb2.InvokeRequest(tok=tok, args=wire({})))
    assert [f.property for f in neither.failures] == ["installationId"]
    assert_no_secret(b"".join(plugin.seen), gh.private_key_pem)


BUGGY = (sys.executable, "-m", "tests.support.buggy")
"""The plugin with a bug in the core: an unexpected exception where a token is minted."""


def failed_details(plugin: Plugin, method: str, request: Any) -> str:
    with pytest.raises(grpc.RpcError) as caught:
        plugin.call(method, request)
    return caught.value.details()


def assert_ours_alone(details: str) -> None:
    """Our message and nothing of the server's: no `Unexpected <class ...>`, no stack."""
    assert not details.startswith("Unexpected") and "File \"" not in details
    assert "\n" not in details


def test_our_errors_reach_the_engine_as_their_message(gh, plugin: Plugin) -> None:
    plugin.configure(app(gh))
    wrong = plugin.check(scope(gh, installationId=999999)).inputs
    details = failed_details(plugin, "Create", provider_pb2.CreateRequest(urn=URN,
                                                                          properties=wrong))
    assert details.startswith("GitHub answered 404 to POST /app/installations/")
    assert "check installationId" in details
    assert_ours_alone(details)

    created = plugin.call("Create", provider_pb2.CreateRequest(
        urn=URN, properties=plugin.check(scope(gh)).inputs))
    gh.inject("error", count=5, status=403, path="/installation/token")
    details = failed_details(plugin, "Delete", provider_pb2.DeleteRequest(
        id=created.id, urn=URN, properties=created.properties))
    assert details.startswith("could not revoke the installation token")
    assert_ours_alone(details)

    details = failed_details(plugin, "Invoke", provider_pb2.InvokeRequest(
        tok="github-app-token:index:getInstallation", args=wire({"owner": "nobody"})))
    assert details.startswith("GitHub answered 404")
    assert_ours_alone(details)


def test_a_configuration_error_reads_as_its_message(gh, tmp_path: Path) -> None:
    # A key's body without its PEM lines is taken for a path: the error must not quote it.
    body = "".join(gh.private_key_pem.splitlines()[1:-1])
    plugin = Plugin(tmp_path, env={"GITHUB_APP_PEM_FILE": body})
    try:
        details = failed_details(plugin, "Configure", provider_pb2.ConfigureRequest(
            args=wire({"appId": 1}), acceptSecrets=True, acceptResources=True))
    finally:
        plugin.close()
    assert details.startswith("privateKey: GITHUB_APP_PEM_FILE is neither PEM text")
    assert_ours_alone(details)
    assert_no_secret(details, gh.private_key_pem, body[:200])


def test_an_unexpected_exception_keeps_its_stack(gh, tmp_path: Path) -> None:
    plugin = Plugin(tmp_path, env={"PYTHONPATH": str(REPO)}, command=BUGGY)
    try:
        plugin.configure(app(gh))
        details = failed_details(plugin, "Create", provider_pb2.CreateRequest(
            urn=URN, properties=plugin.check(scope(gh)).inputs))
    finally:
        plugin.close()
    assert details.startswith(f"Unexpected <class 'Exception'>: {BUG}:")
    assert 'File "' in details and "plugin/provider.py" in details


def test_version() -> None:
    from github_app_token.version import __version__

    done = subprocess.run([str(EXE), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{__version__}\n", "")


def test_the_engines_sigint_ends_the_plugin_quietly(tmp_path: Path) -> None:
    plugin = Plugin(tmp_path)
    plugin.channel.close()
    plugin.process.send_signal(signal.SIGINT)  # as the engine ends a plugin (then SIGKILL)
    assert plugin.process.wait(30) == 0
    plugin._stderr.close()
    assert plugin.stderr_path.read_bytes() == b""


def test_a_pasted_secret_fails_without_a_property_to_print(gh, plugin: Plugin) -> None:
    # The engine prints a failing property's value beside our reason: with no property, none.
    secret = pasted()
    plugin.configure(app(gh))
    checked = plugin.check({"owner": secret.token, "repository": secret.jwt,
                            "permissions": {"contens": "read"}})
    failures = [(f.property, f.reason) for f in checked.failures]
    assert sorted(prop for prop, _ in failures) == ["", "", "installationId", "permissions"]
    hidden = sorted(reason for prop, reason in failures if not prop)
    assert [reason.split(":")[0] for reason in hidden] == ["owner", "repository"]
    assert all("looks like a key, JWT or token" in reason for reason in hidden)

    config = plugin.call("CheckConfig", provider_pb2.CheckRequest(
        urn="urn:pulumi:dev::proj::pulumi:providers:github-app-token::default",
        olds=wire({}), news=wire(app(gh, baseUrl=secret.key))))
    [(prop, reason)] = [(f.property, f.reason) for f in config.failures]
    assert prop == "" and reason.startswith("baseUrl: ")
    assert "pulumi config set github-app-token:baseUrl" in reason
    reasons = [f.reason for f in [*checked.failures, *config.failures]]
    assert_no_secret("\n".join(reasons), *secret.all)
