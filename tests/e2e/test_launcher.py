"""The shipped launcher as a user runs it: their own stacks renew when the emulator's clock moves.

A Python project (the dynamic resource) and a YAML project (the plugin), each in a directory
of its own, run by the real CLI in a subprocess, with launchers written by
`python -m github_app_emulator launcher --bin DIR --emulator URL`: DIR first on PATH for the
Python project, DIR as `plugins.providers[].path` for the YAML one (docs/emulator.md shows
both). A token is minted, the emulator's clock moves 1900 s on (1700 s of its hour left, less
than the default renew_before of 1800 s), and the next `pulumi up` renews it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..support.paths import REPO
from ..support.secrets import assert_no_secret

pytestmark = pytest.mark.e2e
SHIFT = 1900
PY_PROGRAM = """\
import pulumi
from github_app_token import InstallationToken

cfg = pulumi.Config()
token = InstallationToken("ci", app_id=int(cfg.require("appId")),
                          private_key=cfg.require_secret("privateKey"),
                          installation_id=int(cfg.require("installationId")),
                          base_url=cfg.require("baseUrl"), repositories=["infra"],
                          permissions={"contents": "read"})
pulumi.export("token", token.token)
"""
YAML_PROGRAM = """\
name: renew-yaml
runtime: yaml
plugins:
  providers:
    - name: github-app-token
      path: {bin}
resources:
  reader:
    type: github-app-token:index:InstallationToken
    properties:
      owner: octo-org
      repositories: [infra]
      permissions:
        contents: read
outputs:
  token: ${{reader.token}}
"""


def write_launchers(gh, where: Path) -> Path:
    """What a user runs: the CLI, not the Python API."""
    bin_dir = where / "user-bin"
    subprocess.run([sys.executable, "-m", "github_app_emulator", "launcher", "--bin",
                    str(bin_dir), "--emulator", gh.base_url],
                   check=True, capture_output=True, timeout=60)
    return bin_dir


class Project:
    def __init__(self, env: dict[str, str], work: Path) -> None:
        self.env, self.work = env, work

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.work,
                              env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"pulumi {args[0]}:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def token(self) -> str:
        return json.loads(self.cli("stack", "output", "--json", "--show-secrets"))["token"]

    def up_renews_after_the_clock_moves(self, gh) -> list[str]:
        output = [self.cli("up", "--yes", "--skip-preview")]
        first = self.token()
        output.append(self.cli("up", "--yes", "--skip-preview"))  # not yet due: kept
        kept = self.token() == first  # (compared outside `assert`: pytest would print tokens)
        assert kept
        gh.shift_clock(SHIFT)
        output.append(self.cli("up", "--yes", "--skip-preview"))
        second = self.token()
        renewed = second != first
        assert renewed
        assert gh.token_state(first) == "revoked" and gh.token_state(second) == "live"
        self.cli("destroy", "--yes", "--skip-preview")
        assert gh.token_state(second) == "revoked"
        for text in output:
            assert_no_secret(text, first, second, gh.private_key_pem)
        return output


def test_a_python_stack_renews_through_the_shipped_launcher(gh, e2e_env, tmp_path) -> None:
    bin_dir = write_launchers(gh, tmp_path)
    env = {**os.environ, **e2e_env, "PATH": f"{bin_dir}{os.pathsep}{e2e_env['PATH']}"}
    work = tmp_path / "renew-py"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(
        f"name: renew-py\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {REPO / '.venv'}\n")
    (work / "__main__.py").write_text(PY_PROGRAM)
    project = Project(env, work)
    project.cli("stack", "init", "dev")
    for key, value in (("appId", gh.app_id), ("installationId", gh.installation_id),
                       ("baseUrl", gh.base_url)):
        project.cli("config", "set", key, str(value))
    project.cli("config", "set", "--secret", "privateKey", stdin=gh.private_key_pem)
    project.up_renews_after_the_clock_moves(gh)


def test_a_yaml_stack_renews_through_the_shipped_launcher(gh, e2e_env, tmp_path) -> None:
    if shutil.which("pulumi-language-yaml") is None:
        reason = "no pulumi-language-yaml on PATH (tools/pulumi-offline/pulumi-cli.sh builds it)"
        if os.environ.get("REQUIRE_PULUMI_YAML"):
            pytest.fail(reason)
        pytest.skip(reason)
    bin_dir = write_launchers(gh, tmp_path)
    work = tmp_path / "renew-yaml"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(YAML_PROGRAM.format(bin=bin_dir))
    # The launchers e2e_env puts first on PATH are left out: only plugins.providers names ours.
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if Path(p) != tmp_path / "bin")
    project = Project({**os.environ, **e2e_env, "PATH": path}, work)
    project.cli("stack", "init", "dev")
    project.cli("config", "set", "github-app-token:appId", str(gh.app_id))
    project.cli("config", "set", "github-app-token:baseUrl", gh.base_url)
    project.cli("config", "set", "--secret", "github-app-token:privateKey",
                stdin=gh.private_key_pem)
    output = project.up_renews_after_the_clock_moves(gh)
    assert "using pulumi-resource-github-app-token from $PATH" not in "".join(output)
