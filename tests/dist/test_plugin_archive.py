"""The plugin archive under the real CLI: installed into a fresh PULUMI_HOME by
`pulumi plugin install --file`, it serves the YAML example of docs/sdks.md through up,
refresh and destroy against the emulator, with no plugin on PATH and no PATH warning.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from github_app_token.version import __version__

from ..support.secrets import assert_no_secret
from .conftest import PLUGIN, doc_example, plugin_archive, run, tool

pytestmark = pytest.mark.e2e
TYPE = "github-app-token:index:InstallationToken"


def pulumi(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> str:
    result = run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=env, input=stdin)
    return result.stdout + result.stderr


def test_yaml_lifecycle_from_the_installed_archive(gh, pulumi_env, tmp_path: Path) -> None:
    yaml_host = Path(tool("pulumi-language-yaml", "REQUIRE_PULUMI_YAML")).parent
    # python3 for the archive's `#!/usr/bin/env python3`: the one its wheels were built for.
    python = Path(sys._base_executable).parent  # type: ignore[attr-defined]
    env = pulumi_env(python, yaml_host, PEX_ROOT=str(tmp_path / "pex"))  # pex unpacks cold
    work = tmp_path / "reader"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(doc_example("yaml"))

    said = [pulumi(env, work, "plugin", "install", "resource", "github-app-token", __version__,
                   "--file", str(plugin_archive()))]
    installed = json.loads(run(["pulumi", "plugin", "ls", "--json"], env=env, cwd=work).stdout)
    assert [(p["name"], p["version"]) for p in installed] == [("github-app-token", __version__)]
    executable = Path(env["PULUMI_HOME"], "plugins", f"resource-github-app-token-v{__version__}",
                      PLUGIN)
    assert run([str(executable), "--version"], env=env).stdout.strip() == __version__

    said.append(pulumi(env, work, "stack", "init", "dev"))
    for key, value in (("appId", str(gh.app_id)), ("baseUrl", gh.base_url)):
        said.append(pulumi(env, work, "config", "set", f"github-app-token:{key}", value))
    said.append(pulumi(env, work, "config", "set", "--secret", "github-app-token:privateKey",
                       stdin=gh.private_key_pem))

    said.append(pulumi(env, work, "up", "--yes", "--skip-preview"))
    token = json.loads(pulumi(env, work, "stack", "output", "token", "--show-secrets",
                              "--json"))
    assert gh.token_state(token) == "live"
    assert [r.body for r in gh.requests if r.path.endswith("/access_tokens")] == [
        {"repositories": ["infra"], "permissions": {"contents": "read"}}]

    said.append(pulumi(env, work, "refresh", "--yes", "--skip-preview"))
    assert gh.token_state(token) == "live"
    said.append(pulumi(env, work, "destroy", "--yes", "--skip-preview"))
    assert gh.token_state(token) == "revoked"

    everything = "\n".join(said)
    assert "from $PATH" not in everything and PLUGIN not in everything
    assert "warning" not in everything.lower(), everything
    assert_no_secret(everything, token, gh.private_key_pem)

