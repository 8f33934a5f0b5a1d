"""The provider plugin under the real CLI: examples/yaml, a `runtime: yaml` stack.

The engine starts `pulumi-resource-github-app-token` (found on PATH, as pip installs it) and
`pulumi-language-yaml`. The emulator's shipped launcher (written by e2e_env, first on PATH) runs
the plugin on the emulator's clock, so shifting that clock past half of the 1000 s the emulator
grants brings renewal on.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from ..support.paths import REPO
from ..support.secrets import assert_no_secret
from .harness import Harness, is_ciphertext
from .projects import copy_project

pytestmark = pytest.mark.e2e
TYPE = "github-app-token:index:InstallationToken"
PLUGIN = Path(sys.executable).with_name("pulumi-resource-github-app-token")  # test_errors uses it


@pytest.fixture
def yaml_host() -> str:
    """pulumi-language-yaml; skipped without one unless REQUIRE_PULUMI_YAML demands it."""
    path = shutil.which("pulumi-language-yaml")
    if path is None:
        reason = "no pulumi-language-yaml on PATH (tools/pulumi-offline/pulumi-cli.sh builds it)"
        if os.environ.get("REQUIRE_PULUMI_YAML"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def h(gh, e2e_env, yaml_host: str, tmp_path: Path) -> Iterator[Harness]:
    e2e_env["PATH"] += os.pathsep + str(Path(yaml_host).parent)
    os.environ["PATH"] = e2e_env["PATH"]
    asyncio.set_event_loop(asyncio.new_event_loop())
    yield Harness(e2e_env, tmp_path)


def yaml_stack(h: Harness, gh, renew_before: int,
               source: Path = REPO / "examples" / "yaml") -> auto.Stack:
    # The plugin's path names our launcher, as the example names the venv's bin directory.
    work = copy_project(source, h.tmp / "yaml", plugin_dir=h.tmp / "bin")
    stack = h.local(work)
    stack.set_config("github-app-token:appId", auto.ConfigValue(str(gh.app_id)))
    stack.set_config("github-app-token:privateKey",
                     auto.ConfigValue(gh.private_key_pem, secret=True))
    stack.set_config("github-app-token:baseUrl", auto.ConfigValue(gh.base_url))
    stack.set_config("renewBefore", auto.ConfigValue(str(renew_before)))
    return stack


def tokens(stack: auto.Stack) -> dict[str, dict]:
    resources = stack.export_stack().deployment.get("resources") or []
    return {r["urn"].rsplit("::", 1)[1]: r for r in resources if r["type"] == TYPE}


def live(stack: auto.Stack) -> dict[str, str]:
    """Each token in state, decrypted (export_stack shows secrets as JSON plaintext)."""
    found = {name: r["outputs"]["token"] for name, r in tokens(stack).items()}
    return {name: json.loads(v["plaintext"]) if isinstance(v, dict) else v
            for name, v in found.items()}


def plugin_stderr(h: Harness) -> bytes:
    """The plugin's stderr, kept by the launcher (as the dynamic provider's is)."""
    return h.provider_stderr()


def test_yaml_stack_lifecycle(gh, h: Harness) -> None:
    gh.token_lifetime = 1000  # renewal starts 500 s before expiry (half of it, under 600)
    stack = yaml_stack(h, gh, renew_before=600)
    assert h.up(stack).summary.result == "succeeded"
    first = live(stack)
    assert set(first) == {"reader", "triage"} and len(set(first.values())) == 2
    assert all(gh.token_state(t) == "live" for t in first.values())
    outputs = stack.outputs()
    assert outputs["readerToken"].secret
    assert outputs["triageRepositories"].value == ["octo-org/app", "octo-org/docs"]
    stored = {r["urn"].rsplit("::", 1)[1]: r for r in h.stored_resources("github-app-token-yaml")}
    assert is_ciphertext(stored["reader"]["outputs"]["token"])
    assert "privateKey" not in stored["reader"]["inputs"]

    # A no-op up: the plugin answers from state and sends GitHub nothing.
    gh.clear_log()
    assert h.up(stack).summary.resource_changes.get("same") == 3
    assert gh.requests == []

    # Renewal replaces create-before-delete: each new token is minted before the old revoked.
    gh.shift_clock(600)  # 400 s left of 1000: past half the token's life
    gh.clear_log()
    h.up(stack)
    second = live(stack)
    assert not set(second.values()) & set(first.values())
    assert all(gh.token_state(t) == "revoked" for t in first.values())
    mints_and_revokes = [r.method for r in gh.requests
                         if r.path.endswith(("/access_tokens", "/installation/token"))]
    assert mints_and_revokes == ["POST", "POST", "DELETE", "DELETE"]

    # A refused renewal (the installation lost `contents`) keeps the reader's live token.
    gh.set_permissions(gh.installation_id, {"metadata": "read", "issues": "write"})
    gh.shift_clock(600)
    with pytest.raises(auto.CommandError) as refused:
        h.up(stack)
    assert "permissions" in str(refused.value)
    assert live(stack)["reader"] == second["reader"]
    assert gh.token_state(second["reader"]) == "live"

    # Refresh drops tokens GitHub no longer accepts.
    gh.revoke_all()
    stack.refresh(color="never")
    assert tokens(stack) == {}

    # Destroy revokes.
    gh.set_permissions(gh.installation_id, dict(gh.permissions, contents="read"))
    h.up(stack)
    last = live(stack)
    stack.destroy(color="never")
    assert all(gh.token_state(t) == "revoked" for t in last.values())

    # The plugin's path is declared (plugins.providers), so the engine does not warn about PATH.
    assert "from $PATH" not in "\n".join(h.output)

    every_token = [*first.values(), *second.values(), *last.values()]
    for blob in ("\n".join(h.output), str(refused.value), h.raw_state(), plugin_stderr(h)):
        assert_no_secret(blob, gh.private_key_pem, *every_token)


def test_import_is_refused_with_a_reason(gh, h: Harness) -> None:
    stack = yaml_stack(h, gh, renew_before=600)
    result = subprocess.run(
        ["pulumi", "import", "--yes", "--non-interactive", "--stack", "dev", TYPE, "ci", "1-x"],
        cwd=h.tmp / "yaml", env={**os.environ, **h.env}, capture_output=True, text=True,
        timeout=300)
    assert result.returncode != 0
    assert "cannot be imported" in result.stdout + result.stderr
    assert tokens(stack) == {}


def test_a_users_stack_file_beside_the_example_does_not_matter(gh, h: Harness) -> None:
    """`cd examples/yaml && pulumi stack init dev` leaves Pulumi.dev.yaml, salted with the
    user's passphrase; the test's own stack `dev` must neither read nor be refused by it."""
    source = h.tmp / "examples-yaml"
    shutil.copytree(REPO / "examples" / "yaml", source)
    salt = "v1:8cTVm0jr64Q=:v1:xex0wM26PnH43JYH:2wv9BMukAusGqJa5TrUyvu1fYBLaLw=="  # another's
    (source / "Pulumi.dev.yaml").write_text(f"encryptionsalt: {salt}\n")
    stack = yaml_stack(h, gh, renew_before=600, source=source)
    assert stack.get_config("github-app-token:appId").value == str(gh.app_id)
    assert not (source / "Pulumi.dev.yaml").read_text().count("appId")


def test_several_apps_through_explicit_providers(gh, h: Harness) -> None:
    """examples/yaml-several-apps: two `pulumi:providers:github-app-token`, three tokens."""
    release = gh.add_app("Release Bot")
    release_installation = gh.add_installation(gh.account, repositories=["infra"],
                                               app_id=release.app_id)
    work = copy_project(REPO / "examples" / "yaml-several-apps", h.tmp / "several",
                        plugin_dir=h.tmp / "bin")
    stack = h.local(work)
    for name, value, secret in (
            ("readerAppId", str(gh.app_id), False),
            ("readerPrivateKey", gh.private_key_pem, True),
            ("releaseAppId", str(release.app_id), False),
            ("releasePrivateKey", release.private_key_pem, True),
            ("baseUrl", gh.base_url, False)):
        stack.set_config(name, auto.ConfigValue(value, secret=secret))
    assert h.up(stack).summary.result == "succeeded"
    outputs = stack.outputs()
    assert outputs["orgReaderInstallationId"].value == gh.installation_id
    assert outputs["userReaderInstallationId"].value == gh.user_installation_id
    assert outputs["releaseInstallationId"].value == release_installation
    assert outputs["releaseToken"].secret
    minted = live(stack)
    assert set(minted) == {"orgReader", "userReader", "release"}
    assert all(gh.token_state(t) == "live" for t in minted.values())
    stack.destroy(color="never")
    assert all(gh.token_state(t) == "revoked" for t in minted.values())
    assert "from $PATH" not in "\n".join(h.output)
    for blob in ("\n".join(h.output), h.raw_state(), plugin_stderr(h)):
        assert_no_secret(blob, gh.private_key_pem, release.private_key_pem, *minted.values())
