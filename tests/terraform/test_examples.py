"""Both OpenTofu examples, as their README runs them, against the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..support.ledger import assert_ledger
from ..support.paths import REPO
from ..support.secrets import assert_no_secret
from .workspace import TOKEN_PREFIX, Workspace

if TYPE_CHECKING:
    from github_app_emulator import Emulator

EXAMPLES = REPO / "examples" / "terraform"


def example(ws: Workspace, name: str) -> Workspace:
    shutil.copytree(EXAMPLES / name, ws.dir, dirs_exist_ok=True)
    return ws


def test_ephemeral_example(gh: Emulator, ws: Workspace) -> None:
    example(ws, "ephemeral")
    owner = f"owner={gh.account}"
    gh.clear_log()
    ws.apply("-var", owner)  # curl -f in the provisioner: fails unless the token worked
    used = [r for r in gh.requests if r.path == "/installation/repositories"]
    assert [(r.status, r.auth) for r in used] == [(200, "token")]
    assert_ledger(gh, [])
    assert gh.ledger().minted == 2
    ws.run("destroy", "-auto-approve", "-no-color", "-var", owner)
    assert_ledger(gh, [])
    for name, data in ws.artifacts().items():
        assert TOKEN_PREFIX not in data, name
        assert_no_secret(data, gh.private_key_pem)


def test_managed_example_keeps_the_token_in_encrypted_state(gh: Emulator,
                                                           ws: Workspace) -> None:
    example(ws, "managed")
    ws.env["TF_VAR_state_passphrase"] = "correct horse battery staple"
    repository = f"repository={gh.account}/infra"
    ws.apply("-var", repository)
    token = ws.run("output", "-raw", "token").stdout
    assert gh.token_state(token) == "live"
    assert_ledger(gh, [token])
    state = (ws.dir / "terraform.tfstate").read_bytes()
    assert b"encrypted_data" in state and token.encode() not in state
    ws.run("destroy", "-auto-approve", "-no-color", "-var", repository)
    assert gh.token_state(token) == "revoked"
    assert_ledger(gh, [])
    for name, data in ws.artifacts().items():
        assert token.encode() not in data or name.startswith("output"), name
        assert_no_secret(data, gh.private_key_pem)


def test_examples_use_the_one_source_address() -> None:
    for main_tf in EXAMPLES.glob("*/main.tf"):
        assert 'source = "registry.opentofu.org/githubapp/githubapp"' in main_tf.read_text()
    assert Path(REPO / "docs" / "terraform.md").read_text().count(
        "registry.opentofu.org/githubapp/githubapp") >= 2


def test_the_docs_quickstart_runs(gh: Emulator, ws: Workspace) -> None:
    # The README's quickstart block, without the github provider (not reachable offline).
    text = (REPO / "docs" / "terraform.md").read_text()
    block = text.split("```hcl\n", 1)[1].split("```", 1)[0]
    block = block.split('provider "github" {', 1)[0]
    block = block.replace('    github    = { source = "integrations/github" }\n', "")
    block = block.replace("123456", str(gh.app_id)).replace('"octo-org"', f'"{gh.account}"')
    (ws.dir / "main.tf").write_text(block)
    ws.env.update(TF_VAR_app_key=gh.private_key_pem, GITHUB_APP_PEM_FILE="", GITHUB_APP_ID="")
    ws.apply()
    assert gh.ledger().minted == 2
    assert_ledger(gh, [])
    for name, data in ws.artifacts().items():
        assert TOKEN_PREFIX not in data, name
        assert_no_secret(data, gh.private_key_pem)
