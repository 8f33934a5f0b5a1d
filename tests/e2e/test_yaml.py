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
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from ..support.paths import REPO
from ..support.secrets import assert_no_secret
from .harness import Harness, is_ciphertext

pytestmark = pytest.mark.e2e
TYPE = "github-app-token:index:InstallationToken"


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


def yaml_stack(h: Harness, gh, renew_before: int) -> auto.Stack:
    work = h.tmp / "yaml"
    shutil.copytree(REPO / "examples" / "yaml", work)
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
