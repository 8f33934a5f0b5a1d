"""The whole lifecycle with the real OpenTofu CLI against the emulator.

After every command the emulator's ledger is exact: every token live at "GitHub" is a managed
token held in state, so every ephemeral token was revoked by the end of the command that
opened it. Every byte OpenTofu wrote (states, backups, plan files unzipped, stdout, stderr,
TF_LOG at trace) is searched for the key and for ephemeral tokens.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..support.ledger import assert_ledger
from ..support.secrets import assert_no_secret
from .workspace import EXE, SOURCE, TOKEN_PREFIX, Workspace, write_clock_launcher

if TYPE_CHECKING:
    from github_app_emulator import Emulator

USE = Path(__file__).with_name("use_token.py")

EPHEMERAL = """
provider "githubapp" {}

data "githubapp_installation" "org" {
  owner = "%(account)s"
}

ephemeral "githubapp_installation_token" "ci" {
  installation_id = data.githubapp_installation.org.installation_id
  permissions     = { contents = "read" }
}

resource "terraform_data" "used" {
  input = data.githubapp_installation.org.repository_selection
  provisioner "local-exec" {
    command = "%(python)s %(use)s"
    environment = {
      TOKEN    = ephemeral.githubapp_installation_token.ci.token
      BASE_URL = "%(base_url)s"
      EVIDENCE = "%(evidence)s"
    }
  }
}

output "account" {
  value = data.githubapp_installation.org.account
}
"""

MANAGED = """
provider "githubapp" {}

resource "githubapp_installation_token" "ci" {
  installation_id = %(installation_id)d
  permissions     = { contents = "read" }
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "consumer" {
  triggers_replace = githubapp_installation_token.ci.id
}

output "expires_at" {
  value = githubapp_installation_token.ci.expires_at
}
"""


def ephemeral_config(gh: Emulator, ws: Workspace) -> str:
    return EPHEMERAL % {"account": gh.account, "python": sys.executable, "use": USE,
                        "base_url": gh.base_url, "evidence": ws.root / "evidence"}


def words(text: str) -> str:
    """OpenTofu wraps diagnostics at 78 columns: compare text with single spaces."""
    return " ".join(text.split())


def used_tokens(ws: Workspace) -> list[str]:
    path = ws.root / "evidence" / "tokens.log"
    return path.read_text().split() if path.exists() else []


def assert_nothing_leaked(gh: Emulator, ws: Workspace, managed: tuple[str, ...] = ()) -> None:
    """No key line and no ephemeral token in anything OpenTofu wrote or printed. The managed
    tokens (`managed`) may be in states and plan files only: Terraform's state model puts them
    there (hence the advice to encrypt state), but never in output or logs."""
    found = ws.artifacts()
    assert found["TF_LOG"] and any(name.endswith("terraform.tfstate") for name in found)
    for name, data in found.items():
        assert_no_secret(data, gh.private_key_pem, *used_tokens(ws))
        if "tfstate" in name or "tfplan" in name:
            for token in managed:
                data = data.replace(token.encode(), b"")
        assert TOKEN_PREFIX not in data, f"a token in {name}"


def test_ephemeral_token_is_minted_used_and_revoked_in_each_phase(gh: Emulator,
                                                                  ws: Workspace) -> None:
    ws.write(ephemeral_config(gh, ws))
    ws.apply()
    # Opened once at plan and once at apply; each closed (revoked) by the end of the command.
    assert gh.ledger().minted == 2 and gh.ledger().revoked == 2
    assert_ledger(gh, [])
    assert (ws.root / "evidence" / "status.log").read_text().split() == ["200"]
    assert ws.state()["outputs"]["account"]["value"] == gh.account

    plan = ws.run("plan", "-no-color", "-detailed-exitcode", "-out=tfplan")
    assert "No changes" in plan.stdout
    assert gh.ledger().minted == 3
    assert_ledger(gh, [])
    ws.run("show", "-json", "tfplan")
    assert "tfplan:tfplan" in ws.artifacts()  # the saved plan is searched inside

    ws.apply("-refresh-only")  # broken with ephemeral blocks before OpenTofu 1.11.6
    assert_ledger(gh, [])

    ws.run("destroy", "-auto-approve", "-no-color")
    assert_ledger(gh, [])
    assert_nothing_leaked(gh, ws)


def test_a_failed_apply_still_revokes_every_ephemeral_token(gh: Emulator,
                                                            ws: Workspace) -> None:
    # A provisioner fed by the token fails: OpenTofu then skips Close (1.11.6); the provider
    # revokes what was left open when OpenTofu shuts it down.
    ws.write(ephemeral_config(gh, ws).replace('command = "', 'command = "false && '))
    done = ws.run("apply", "-auto-approve", "-no-color", ok=False)
    assert done.returncode == 1 and "local-exec provisioner error" in done.stderr
    assert gh.ledger().minted == 2
    assert_ledger(gh, [])


def test_managed_token_apply_noop_refresh_and_destroy(gh: Emulator, ws: Workspace) -> None:
    ws.write(MANAGED % {"installation_id": gh.installation_id})
    ws.apply()
    (token,) = ws.held_tokens()
    assert gh.token_state(token) == "live"
    assert_ledger(gh, [token])
    attrs = ws.instances("githubapp_installation_token")[0]
    assert attrs["granted_permissions"] == {"contents": "read"}
    assert attrs["app_id"] == gh.app_id and attrs["renew_before"] == 1800

    plan = ws.run("plan", "-no-color", "-detailed-exitcode")
    assert plan.returncode == 0 and "No changes" in plan.stdout
    assert_ledger(gh, [token])

    gh.revoke_all()  # revoked behind OpenTofu's back: refresh drops it from state
    ws.apply("-refresh-only")
    assert ws.held_tokens() == []
    ws.apply()
    (fresh,) = ws.held_tokens()
    assert fresh != token
    assert_ledger(gh, [fresh])

    ws.run("destroy", "-auto-approve", "-no-color")
    assert gh.token_state(fresh) == "revoked"
    assert_ledger(gh, [])
    assert_nothing_leaked(gh, ws, managed=(token, fresh))


def test_renewal_creates_the_new_token_before_revoking_the_old(gh: Emulator, tofu: Path,
                                                               key_file: Path,
                                                               tmp_path: Path) -> None:
    launcher = write_clock_launcher(tmp_path / "plugins", gh.base_url)
    ws = Workspace(tofu, tmp_path / "ws", {
        "GITHUB_APP_ID": str(gh.app_id), "GITHUB_APP_PEM_FILE": str(key_file),
        "GITHUB_BASE_URL": gh.base_url}, plugin_dir=launcher.parent)
    ws.write(MANAGED % {"installation_id": gh.installation_id})
    ws.apply()
    (old,) = ws.held_tokens()

    gh.shift_clock(2000)  # 1600 s left: within renew_before (1800 s) by GitHub's clock
    plan = ws.run("plan", "-no-color", "-detailed-exitcode", ok=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "create replacement and then destroy" in plan.stdout
    assert "forces replacement" in plan.stdout and "within renew_before" in plan.stdout
    gh.clear_log()
    ws.apply()
    (new,) = ws.held_tokens()
    assert new != old and gh.token_state(old) == "revoked" and gh.token_state(new) == "live"
    calls = [(r.method, r.path) for r in gh.requests]
    minted = calls.index(("POST", f"/app/installations/{gh.installation_id}/access_tokens"))
    assert minted < calls.index(("DELETE", "/installation/token"))
    assert_ledger(gh, [new])
    ws.run("destroy", "-auto-approve", "-no-color")
    assert_ledger(gh, [])
    assert_nothing_leaked(gh, ws, managed=(old, new))


def test_import_is_refused_with_a_reason(gh: Emulator, ws: Workspace) -> None:
    ws.write(MANAGED % {"installation_id": gh.installation_id})
    done = ws.run("import", "-no-color", "githubapp_installation_token.ci", "123-abc", ok=False)
    said = words(done.stderr)
    assert done.returncode != 0 and "Error: Import is not supported" in said
    assert "cannot be imported: GitHub shows a token only once" in said
    assert "Traceback" not in said
    assert_ledger(gh, [])


@pytest.mark.parametrize("kind", ["ephemeral", "resource"])
def test_a_typo_is_refused_before_any_call_to_github(gh: Emulator, ws: Workspace,
                                                     kind: str) -> None:
    ws.write(f"""
provider "githubapp" {{}}

{kind} "githubapp_installation_token" "ci" {{
  installation_id = {gh.installation_id}
  permissions     = {{ contens = "read" }}
}}
""")
    gh.clear_log()
    for command in (("validate", "-no-color"), ("plan", "-no-color")):
        done = ws.run(*command, ok=False)
        said = words(done.stderr)
        assert done.returncode == 1 and "Error: Invalid permissions" in said
        assert "is not a GitHub App permission; did you mean 'contents'?" in said
        # The attribute path points OpenTofu at the line: it shows it.
        assert 'on main.tf line 12' in said and 'permissions = { contens = "read" }' in said
        assert "Traceback" not in said
    assert gh.requests == []
    assert_ledger(gh, [])


def test_a_secret_shaped_value_is_not_shown(gh: Emulator, ws: Workspace) -> None:
    # A key pasted where an owner belongs: named, but its line is not printed.
    ws.write(f"""
provider "githubapp" {{}}

ephemeral "githubapp_installation_token" "ci" {{
  owner = {json.dumps(gh.private_key_pem)}
}}
""")
    done = ws.run("validate", "-no-color", ok=False)
    assert done.returncode == 1 and "owner: must be a GitHub user" in words(done.stderr)
    assert_no_secret(done.stdout + done.stderr, gh.private_key_pem)
    assert gh.requests == []


def test_key_from_an_ephemeral_variable_stays_out_of_plan_files(gh: Emulator,
                                                                ws: Workspace) -> None:
    ws.write(ephemeral_config(gh, ws).replace('provider "githubapp" {}', """
variable "app_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

provider "githubapp" {
  private_key = var.app_key
}"""))
    env = {"TF_VAR_app_key": gh.private_key_pem, "GITHUB_APP_PEM_FILE": ""}
    ws.run("plan", "-no-color", "-out=tfplan", env=env)
    ws.run("apply", "-no-color", "-auto-approve", "tfplan", env=env)
    assert_ledger(gh, [])
    assert_nothing_leaked(gh, ws)


def test_installed_from_a_filesystem_mirror(gh: Emulator, ws: Workspace) -> None:
    # The docs' second route: the executable laid out as a registry would, then `tofu init`.
    target = ws.root / "mirror" / "registry.opentofu.org" / "githubapp" / "githubapp" / "0.1.0"
    (target / "linux_amd64").mkdir(parents=True)
    shutil.copy(EXE, target / "linux_amd64" / EXE.name)
    rc = ws.root / "mirror.rc"
    rc.write_text(f"""provider_installation {{
  filesystem_mirror {{
    path    = "{ws.root / 'mirror'}"
    include = ["registry.opentofu.org/githubapp/*"]
  }}
  direct {{
    exclude = ["registry.opentofu.org/githubapp/*"]
  }}
}}
""")
    ws.write(f"""
provider "githubapp" {{}}

data "githubapp_installation" "org" {{
  repository = "{gh.account}/infra"
}}

output "installation_id" {{
  value = data.githubapp_installation.org.installation_id
}}
""")
    env = {"TF_CLI_CONFIG_FILE": str(rc)}
    ws.run("init", "-no-color", env=env)
    assert SOURCE in (ws.dir / ".terraform.lock.hcl").read_text()
    ws.run("apply", "-auto-approve", "-no-color", env=env)
    assert ws.state()["outputs"]["installation_id"]["value"] == gh.installation_id
