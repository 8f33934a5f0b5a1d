"""The provider over its real handshake and mutual TLS, driven RPC by RPC as OpenTofu drives it.

`terraform-provider-githubapp` (the script pip installs) is started with go-plugin's
environment and spoken to with our own protocol messages, against the emulator. Every
response but the token's own fields, and the provider's stderr, are searched for the key.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from grpclib.exceptions import StreamTerminatedError

from github_app_token.terraform import tfplugin6_pb2 as pb

from ..support.ledger import assert_ledger
from ..support.secrets import assert_no_secret
from .plugin import COOKIE, EXE, UNKNOWN, Plugin, client_certificate, plain, value
from .workspace import write_clock_launcher

if TYPE_CHECKING:
    from github_app_emulator import Emulator

TOKEN = "githubapp_installation_token"
EPHEMERAL = ("installation_id", "owner", "repository", "repositories", "repository_ids",
             "permissions", "token", "expires_at", "repository_selection",
             "granted_permissions", "granted_repositories")
ERROR = pb.Diagnostic.ERROR


def provider(gh: Emulator, **overrides: Any) -> pb.DynamicValue:
    return value(**{"app_id": gh.app_id, "client_id": None, "private_key": gh.private_key_pem,
                    "base_url": gh.base_url, **overrides})


def configured(plugin: Plugin, gh: Emulator) -> Plugin:
    assert not plugin.call("ConfigureProvider", config=provider(gh)).diagnostics
    return plugin


def ephemeral(gh: Emulator, **overrides: Any) -> pb.DynamicValue:
    return value(**{**dict.fromkeys(EPHEMERAL), "installation_id": gh.installation_id,
                    "permissions": {"contents": "read"}, **overrides})


def managed(gh: Emulator, **overrides: Any) -> dict[str, Any]:
    return {**dict.fromkeys(MANAGED), "installation_id": gh.installation_id,
            "permissions": {"contents": "read"}, **overrides}


MANAGED = ("id", "installation_id", "owner", "repository", "repositories", "repository_ids",
           "permissions", "renew_before", "revoke_on_delete", "app_id", "client_id", "base_url",
           "token", "expires_at", "repository_selection", "granted_permissions",
           "granted_repositories", "key_fingerprint", "clock_offset", "lifetime")


def details(response: Any) -> list[str]:
    return [d.detail for d in response.diagnostics]


def steps(found: pb.Diagnostic | pb.AttributePath) -> list[str]:
    path = found.attribute if isinstance(found, pb.Diagnostic) else found
    return [step.attribute_name or str(step.element_key_int) for step in path.steps]


# ---- the handshake ------------------------------------------------------------------------

def test_handshake_line_health_stdio_and_shutdown(plugin: Plugin) -> None:
    assert plugin.handshake.startswith("1|6|tcp|127.0.0.1:")
    assert "=" not in plugin.handshake.rsplit("|", 1)[1]  # base64 without padding
    assert plugin.health().status == 1  # SERVING
    assert plugin.stdio() == []  # ends at once
    assert plugin.shutdown() == 0
    stderr = plugin.close()
    assert plugin.seen[-1] == b""  # nothing on stdout after the handshake line
    assert b"Traceback" not in stderr


def test_a_client_without_the_announced_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises((ssl.SSLError, OSError, StreamTerminatedError)):
        impostor = Plugin(tmp_path, cert=client_certificate())  # not the one in the env
        try:
            impostor.health()
        finally:
            impostor.close()


@pytest.mark.parametrize("env", [{}, {**COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5"}])
def test_started_by_hand_it_explains_and_prints_nothing_on_stdout(env: dict[str, str]) -> None:
    done = subprocess.run([str(EXE)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert "terraform-provider-githubapp:" in done.stderr and "Traceback" not in done.stderr


def test_version() -> None:
    done = subprocess.run([str(EXE), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("terraform-provider-githubapp 0.")


# ---- schema and validation ----------------------------------------------------------------

def test_schema_marks_secrets_sensitive_and_offers_three_kinds(plugin: Plugin) -> None:
    schema = plugin.call("GetProviderSchema")
    assert schema.server_capabilities.get_provider_schema_optional

    def attrs(s: pb.Schema) -> dict[str, pb.Schema.Attribute]:
        return {a.name: a for a in s.block.attributes}

    assert attrs(schema.provider)["private_key"].sensitive
    for kinds in (schema.resource_schemas, schema.ephemeral_resource_schemas):
        token = attrs(kinds[TOKEN])["token"]
        assert token.sensitive and token.computed and not token.optional
    resource = attrs(schema.resource_schemas[TOKEN])
    assert json.loads(resource["permissions"].type) == ["map", "string"]
    assert json.loads(resource["repository_ids"].type) == ["list", "number"]
    assert tuple(resource) == MANAGED
    assert tuple(attrs(schema.ephemeral_resource_schemas[TOKEN])) == EPHEMERAL
    assert set(attrs(schema.data_source_schemas["githubapp_installation"])) == {
        "installation_id", "owner", "repository", "account", "permissions",
        "repository_selection"}


def test_a_typo_names_the_attribute_and_suggests(plugin: Plugin, gh: Emulator) -> None:
    found = plugin.call("ValidateEphemeralResourceConfig", type_name=TOKEN,
                        config=ephemeral(gh, permissions={"contens": "read"})).diagnostics
    (diagnostic,) = found
    assert diagnostic.severity == ERROR and steps(diagnostic) == ["permissions"]
    assert "did you mean 'contents'?" in diagnostic.detail
    found = plugin.call("ValidateResourceConfig", type_name=TOKEN, config=value(
        **managed(gh, repository_ids=[1, 2, 1]))).diagnostics
    assert [steps(d) for d in found] == [["repository_ids", "2"]]
    assert gh.requests == []


def test_a_secret_shaped_value_gets_no_attribute_path(plugin: Plugin, gh: Emulator) -> None:
    (diagnostic,) = plugin.call("ValidateEphemeralResourceConfig", type_name=TOKEN, config=(
        ephemeral(gh, installation_id=None, owner=gh.private_key_pem))).diagnostics
    assert diagnostic.detail.startswith("owner: must be") and steps(diagnostic) == []
    assert_no_secret(diagnostic.SerializeToString(), gh.private_key_pem)


def test_unknown_values_pass_validation(plugin: Plugin, gh: Emulator) -> None:
    config = pb.DynamicValue(msgpack=__import__("msgpack").packb(
        {**dict.fromkeys(EPHEMERAL), "installation_id": UNKNOWN, "permissions": UNKNOWN}))
    found = plugin.call("ValidateEphemeralResourceConfig", type_name=TOKEN, config=config)
    assert not found.diagnostics


def test_validate_needs_no_credentials_but_configure_does(plugin: Plugin, gh: Emulator) -> None:
    empty = value(app_id=None, client_id=None, private_key=None, base_url=None)
    assert not plugin.call("ValidateProviderConfig", config=empty).diagnostics
    (missing_app, missing_key) = plugin.call("ConfigureProvider", config=empty).diagnostics
    assert "set exactly one of app_id or client_id" in missing_app.detail
    assert "provider \"githubapp\" block" in missing_key.detail
    assert "GITHUB_APP_PEM_FILE" in missing_key.detail and "pulumi" not in missing_key.detail


def test_a_broken_value_is_an_internal_error_without_its_text(plugin: Plugin) -> None:
    (diagnostic,) = plugin.call("ValidateProviderConfig", config=pb.DynamicValue(
        msgpack=b"\xc1secret-ish")).diagnostics
    assert diagnostic.summary.startswith("Internal error")
    assert "secret-ish" not in diagnostic.detail
    assert b"secret-ish" not in plugin.close()


# ---- the ephemeral token ------------------------------------------------------------------

def test_open_mints_renew_keeps_private_close_revokes(plugin: Plugin, gh: Emulator) -> None:
    configured(plugin, gh)
    opened = plugin.call("OpenEphemeralResource", type_name=TOKEN, config=ephemeral(gh))
    assert not opened.diagnostics
    result = plain(opened.result)
    assert gh.token_state(result["token"]) == "live"
    assert result["granted_permissions"] == {"contents": "read"}
    assert result["installation_id"] == gh.installation_id and result["expires_at"]
    renewed = plugin.call("RenewEphemeralResource", type_name=TOKEN, private=opened.private)
    # `private` back unchanged, and nothing else: no renew_at, since GitHub cannot extend it.
    assert renewed.SerializeToString() == pb.RenewEphemeralResource.Response(
        private=opened.private).SerializeToString()
    closed = plugin.call("CloseEphemeralResource", type_name=TOKEN, private=opened.private)
    assert not closed.diagnostics
    assert gh.token_state(result["token"]) == "revoked"
    assert_ledger(gh, [])
    assert_no_secret(plugin.close(), gh.private_key_pem, result["token"])


def test_open_by_owner_through_the_data_source(plugin: Plugin, gh: Emulator) -> None:
    configured(plugin, gh)
    found = plugin.call("ReadDataSource", type_name="githubapp_installation", config=value(
        installation_id=None, owner=gh.account, repository=None, account=None,
        permissions=None, repository_selection=None))
    assert not found.diagnostics
    assert plain(found.state)["installation_id"] == gh.installation_id
    assert plain(found.state)["account"] == gh.account


def test_github_errors_are_diagnostics_without_traceback(plugin: Plugin, gh: Emulator) -> None:
    configured(plugin, gh)
    opened = plugin.call("OpenEphemeralResource", type_name=TOKEN,
                         config=ephemeral(gh, installation_id=987654))
    (diagnostic,) = opened.diagnostics
    assert diagnostic.summary == "Not found on GitHub" and "404" in diagnostic.detail
    assert b"Traceback" not in plugin.close()


# ---- the managed token --------------------------------------------------------------------

def plan(plugin: Plugin, prior: Any, config: dict[str, Any]) -> Any:
    return plugin.call("PlanResourceChange", type_name=TOKEN, prior_state=prior,
                       proposed_new_state=value(**config), config=value(**config))


def apply(plugin: Plugin, prior: Any, planned: Any, config: dict[str, Any] | None) -> Any:
    return plugin.call("ApplyResourceChange", type_name=TOKEN, prior_state=prior,
                       planned_state=planned,
                       config=value(**config) if config else pb.DynamicValue())


def test_managed_create_noop_refresh_and_destroy(plugin: Plugin, gh: Emulator) -> None:
    configured(plugin, gh)
    config = managed(gh)
    nothing = pb.DynamicValue()
    created_plan = plan(plugin, nothing, config)
    assert not created_plan.diagnostics
    created = apply(plugin, nothing, created_plan.planned_state, config)
    assert not created.diagnostics
    state = plain(created.new_state)
    assert gh.token_state(state["token"]) == "live"
    assert state["renew_before"] == 1800 and state["revoke_on_delete"] is True

    again = plan(plugin, created.new_state, config)
    assert not again.requires_replace and plain(again.planned_state) == state

    read = plugin.call("ReadResource", type_name=TOKEN, current_state=created.new_state)
    assert plain(read.new_state) == state
    destroyed = apply(plugin, created.new_state, nothing, None)
    assert not destroyed.diagnostics and plain(destroyed.new_state) is None
    assert gh.token_state(state["token"]) == "revoked"
    gone = plugin.call("ReadResource", type_name=TOKEN, current_state=created.new_state)
    assert plain(gone.new_state) is None  # refresh drops a dead token
    assert_ledger(gh, [])


def test_managed_replaces_when_due_by_githubs_clock(gh: Emulator, tmp_path: Path) -> None:
    launcher = write_clock_launcher(tmp_path / "bin", gh.base_url)
    first = configured(Plugin(tmp_path, exe=launcher), gh)
    config = managed(gh)
    planned = plan(first, pb.DynamicValue(), config).planned_state
    created = apply(first, pb.DynamicValue(), planned, config).new_state
    first.close()
    gh.shift_clock(2000)  # 1600 s left of 3600
    later = configured(Plugin(tmp_path, exe=launcher), gh)  # a new phase, a new process
    replanned = plan(later, created, config)
    assert [steps(p) for p in replanned.requires_replace] == [["expires_at"]]
    (warning,) = replanned.diagnostics
    assert warning.severity == pb.Diagnostic.WARNING and "within renew_before" in warning.detail
    assert plain(replanned.planned_state)["token"] is not None  # unknown, to be minted
    later.close()
    assert_ledger(gh, [plain(created)["token"]])


def test_import_is_refused(plugin: Plugin) -> None:
    (diagnostic,) = plugin.call("ImportResourceState", type_name=TOKEN, id="1-x").diagnostics
    assert diagnostic.severity == ERROR and "GitHub shows a token only once" in diagnostic.detail


def test_upgrade_keeps_every_attribute(plugin: Plugin) -> None:
    raw = json.dumps({"id": "1-x", "token": "t", "renew_before": 60}).encode()
    upgraded = plugin.call("UpgradeResourceState", type_name=TOKEN, version=0,
                           raw_state=pb.RawState(json=raw))
    state = plain(upgraded.upgraded_state)
    assert tuple(state) == MANAGED and state["renew_before"] == 60


def test_a_new_key_is_an_update_in_place(plugin: Plugin, gh: Emulator) -> None:
    configured(plugin, gh)
    config = managed(gh)
    planned = plan(plugin, pb.DynamicValue(), config).planned_state
    created = apply(plugin, pb.DynamicValue(), planned, config).new_state
    rotated = gh.add_key()
    assert not plugin.call("ConfigureProvider",
                           config=provider(gh, private_key=rotated)).diagnostics
    replanned = plan(plugin, created, config)
    assert not replanned.requires_replace and not replanned.diagnostics
    assert plain(replanned.planned_state)["key_fingerprint"] != plain(created)["key_fingerprint"]
    updated = apply(plugin, created, replanned.planned_state, config)
    assert not updated.diagnostics
    assert plain(updated.new_state)["token"] == plain(created)["token"]
    assert plain(updated.new_state) == plain(replanned.planned_state)
    assert_no_secret(plugin.close(), gh.private_key_pem, rotated)


def test_a_token_opentofu_never_closed_is_revoked_at_shutdown(plugin: Plugin,
                                                              gh: Emulator) -> None:
    # OpenTofu 1.11 skips Close when a node fed by the ephemeral resource failed.
    configured(plugin, gh)
    opened = plugin.call("OpenEphemeralResource", type_name=TOKEN, config=ephemeral(gh))
    closed = plugin.call("OpenEphemeralResource", type_name=TOKEN, config=ephemeral(gh))
    plugin.call("CloseEphemeralResource", type_name=TOKEN, private=closed.private)
    assert gh.token_state(plain(opened.result)["token"]) == "live"
    assert plugin.shutdown() == 0
    assert gh.token_state(plain(opened.result)["token"]) == "revoked"
    assert_ledger(gh, [])
    assert gh.ledger().revoked == 2  # each revoked once: the closed one was not revoked again


def test_an_unreadable_key_file_is_named_never_quoted(tmp_path: Path, gh: Emulator) -> None:
    missing = tmp_path / "no-such.pem"
    started = Plugin(tmp_path, env={"GITHUB_APP_PEM_FILE": str(missing)})
    try:
        (diagnostic,) = started.call("ConfigureProvider", config=provider(
            gh, private_key=None)).diagnostics
    finally:
        started.close()
    assert "GITHUB_APP_PEM_FILE is neither PEM text nor the path of a readable file" in (
        diagnostic.detail)
    assert str(missing) not in diagnostic.detail and steps(diagnostic) == []


def test_a_provider_whose_opentofu_was_killed_revokes_and_exits(tmp_path: Path,
                                                                gh: Emulator) -> None:
    # OpenTofu killed (kill -9): no Close, no Shutdown. The provider sees it is orphaned.
    wrapper = tmp_path / "host.sh"
    wrapper.write_text(f'#!/bin/sh\n"{EXE}" &\necho $! > "{tmp_path}/pid"\nwait\n')
    wrapper.chmod(0o755)
    host = configured(Plugin(tmp_path, exe=wrapper), gh)
    opened = host.call("OpenEphemeralResource", type_name=TOKEN, config=ephemeral(gh))
    provider_pid = int((tmp_path / "pid").read_text())
    host.process.kill()  # the "OpenTofu" process, without warning
    host.process.wait(10)
    deadline = time.monotonic() + 30  # the check runs every second; 30 s is a wide margin
    while _alive(provider_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(provider_pid):
        os.kill(provider_pid, 9)  # leave no process behind, then fail
        pytest.fail("the orphaned provider did not exit")
    assert gh.token_state(plain(opened.result)["token"]) == "revoked"
    host.close()
    assert_ledger(gh, [])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(
        f"/proc/{pid}/status").read_text().lower()
