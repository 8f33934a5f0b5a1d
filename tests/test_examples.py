"""Examples whose other provider cannot run here, run as written under Pulumi's mocks.

examples/github-provider hands the token to pulumi-github's provider. pulumi-github's plugin
is a download this machine cannot make, but its Python SDK is on PyPI: installed (pinned)
into .cache/, outside the project's virtualenv, so that no stack of ours ever infers a
`github` plugin from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .support import mock_run
from .support.paths import REPO

SITE = REPO / ".cache" / "examples-site" / "pulumi-github-6.15.0"
PINS = ("pulumi-github==6.15.0", "parver==1.0.1.post0", "arpeggio==2.0.3")
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


@pytest.fixture(scope="session")
def github_sdk() -> Path:
    if not (SITE / "pulumi_github").is_dir():
        tmp = SITE.with_name(f"{SITE.name}.{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--disable-pip-version-check", "--target", str(tmp), *PINS],
                       check=True, timeout=600)
        if not (SITE / "pulumi_github").is_dir():
            shutil.rmtree(SITE, ignore_errors=True)
            tmp.rename(SITE)
    return SITE


def run_with_mocks(program: Path, project: str, config: dict[str, str],
                   site: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, mock_run.__file__, str(program), project, json.dumps(config)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG[0]) == SECRET_SIG[1]


def test_github_provider_takes_the_installation_token(github_sdk: Path) -> None:
    registered = run_with_mocks(
        REPO / "examples" / "github-provider", "github-app-token-github-provider",
        {"appId": "123", "privateKey": "a key", "repository": "octo-org/infra"}, github_sdk)
    by_type = {r["type"]: r for r in registered}
    token = by_type[mock_run.TOKEN_TYPE]["inputs"]
    assert token["repository"] == "octo-org/infra" and token["repositories"] == ["infra"]
    provider = by_type["pulumi:providers:github"]
    assert is_secret(provider["inputs"]["token"])
    assert provider["inputs"]["token"]["value"] == mock_run.MOCK_TOKEN
    assert provider["inputs"]["owner"] == "octo-org"
    label = by_type["github:index/issueLabel:IssueLabel"]
    assert label["provider"].split("::")[-2:] == ["app", "app-id"]
    assert label["inputs"]["repository"] == "infra"
