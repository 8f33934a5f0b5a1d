"""A Python stack run from the installed wheel under the real CLI: the dynamic resource, its
pickled provider and the language host all come from a fresh virtualenv, never this checkout.

Automatic plugin acquisition stays on (as users have it) and PULUMI_HOME starts empty, so a
plugin the engine believed the stack needs would show as an install attempt and end up in
`pulumi plugin ls`. (The host here is the project's fallback, which infers no plugins at all;
what Pulumi's own host would infer is replayed in test_python_host.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..support.secrets import assert_no_secret
from .conftest import run

pytestmark = pytest.mark.e2e

PROGRAM = """\
import pulumi

import github_app_token
from github_app_token import InstallationToken

cfg = pulumi.Config()
token = InstallationToken("ci", app_id=int(cfg.require("appId")),
                          installation_id=int(cfg.require("installationId")),
                          base_url=cfg.require("baseUrl"), repositories=["infra"],
                          permissions={"contents": "read"})
pulumi.export("token", token.token)
pulumi.export("module", github_app_token.__file__)
"""


def test_python_stack_from_the_wheel(gh, wheel_venv: Path, pulumi_env, tmp_path: Path) -> None:
    python = wheel_venv / "bin" / "python"
    env = pulumi_env(PULUMI_PYTHON=str(python))  # the host and the dynamic provider run it
    work = tmp_path / "from-wheel"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(
        f"name: from-wheel\nruntime:\n  name: python\n  options:\n    virtualenv: {wheel_venv}\n")
    (work / "__main__.py").write_text(PROGRAM)

    def pulumi(*args: str, stdin: str | None = None) -> str:
        result = run(["pulumi", *args, "--non-interactive"], cwd=work, env=env, input=stdin)
        return result.stdout + result.stderr

    said = [pulumi("stack", "init", "dev")]
    for key, value in (("appId", str(gh.app_id)), ("installationId", str(gh.installation_id)),
                       ("baseUrl", gh.base_url)):
        said.append(pulumi("config", "set", key, value))
    said.append(pulumi("config", "set", "--secret", "github-app-token:privateKey",
                       stdin=gh.private_key_pem))
    said.append(pulumi("preview"))
    said.append(pulumi("up", "--yes", "--skip-preview"))
    outputs = json.loads(pulumi("stack", "output", "--show-secrets", "--json"))
    assert Path(outputs["module"]).is_relative_to(wheel_venv)
    assert gh.token_state(outputs["token"]) == "live"
    said.append(pulumi("destroy", "--yes", "--skip-preview"))
    assert gh.token_state(outputs["token"]) == "revoked"

    everything = "\n".join(said)
    assert "plugin" not in everything.lower(), everything
    assert json.loads(pulumi("plugin", "ls", "--json") or "[]") in ([], None)
    assert_no_secret(everything, outputs["token"], gh.private_key_pem)
