"""Fixtures of the Terraform face: the provider over its handshake, and the real OpenTofu CLI."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .plugin import Plugin
from .workspace import Workspace, tofu_path

if TYPE_CHECKING:
    from github_app_emulator import Emulator


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Plugin]:
    started = Plugin(tmp_path)
    yield started
    started.close()


@pytest.fixture(scope="session")
def tofu() -> Path:
    """OpenTofu >= 1.11.6 built by tools/opentofu/tofu.sh; skipped without it unless
    REQUIRE_TOFU=1 (make test), which turns the skip into a failure."""
    path = tofu_path()
    version = ""
    if path.is_file():
        version = subprocess.run([str(path), "version"], capture_output=True, text=True,
                                 timeout=60, env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null"}
                                 ).stdout.splitlines()[0]
    if not version.startswith("OpenTofu v1.1"):
        reason = f"no OpenTofu at {path}: run tools/opentofu/tofu.sh (make tofu)"
        if os.environ.get("REQUIRE_TOFU"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def key_file(gh: Emulator, tmp_path: Path) -> Path:
    path = tmp_path / "app.pem"
    path.write_text(gh.private_key_pem)
    path.chmod(0o600)
    return path


@pytest.fixture
def ws(tofu: Path, gh: Emulator, key_file: Path, tmp_path: Path) -> Workspace:
    """A workspace whose provider reads the app from the environment, as in CI."""
    return Workspace(tofu, tmp_path / "ws", {
        "GITHUB_APP_ID": str(gh.app_id), "GITHUB_APP_PEM_FILE": str(key_file),
        "GITHUB_BASE_URL": gh.base_url})
