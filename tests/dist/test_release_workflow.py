"""The release workflow cannot run here (it publishes): actionlint checks it instead, and the
tests below hold it to what docs/releasing.md promises."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ..support.paths import REPO
from .conftest import run, tool

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
ACTIONLINT = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """actionlint, built from the Go module proxy into .cache/tools (seconds when warm)."""
    go = tool("go")
    bin_dir = REPO / ".cache" / "tools"
    run([go, "install", ACTIONLINT], env={**os.environ, "GOBIN": str(bin_dir), "GOWORK": "off",
                                           "GOFLAGS": ""}, timeout=1800)
    return bin_dir / "actionlint"


def test_actionlint_finds_nothing(actionlint: Path) -> None:
    result = subprocess.run([str(actionlint), "-no-color", str(WORKFLOW)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_say_so(actionlint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "release.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-24.04\n",
                                                   "runs-on: ubuntu-2404\n", 1))
    result = subprocess.run([str(actionlint), "-no-color", str(broken)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1 and "ubuntu-2404" in result.stdout


def test_every_platform_gets_an_archive() -> None:
    text = WORKFLOW.read_text()
    for os_name, arch in [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"),
                          ("darwin", "arm64")]:
        assert f"{{ os: {os_name}, arch: {arch}, runner: " in text
    assert "make test" in text and "tools/dist.sh plugin" in text
    assert "id-token: write" in text and "gh-action-pypi-publish" in text
    assert 'git tag "sdk/go/$GITHUB_REF_NAME"' in text
