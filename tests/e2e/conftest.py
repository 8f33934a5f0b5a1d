"""End-to-end fixtures: the real pulumi CLI, a local file backend, the emulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from github_app_emulator import launcher

from ..support.paths import REPO

MIN_CLI = (3, 274, 1)


def _cli_version(path: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([path, "version"], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in match.groups()) if match else None


@pytest.fixture(scope="session")
def pulumi_cli() -> str:
    """The pulumi binary; e2e tests skip without one, unless CI demands it (then they fail)."""
    path = shutil.which("pulumi")
    version = _cli_version(path) if path else None
    if path is None or version is None or version < MIN_CLI:
        reason = (f"no pulumi CLI >= {'.'.join(map(str, MIN_CLI))} on PATH (found {path}, "
                  f"{version}); run `eval \"$(tools/pulumi-offline/pulumi-cli.sh)\"`")
        if os.environ.get("REQUIRE_PULUMI_CLI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def e2e_env(gh, pulumi_cli: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for one test's stacks.

    The shipped launchers (`python -m github_app_emulator launcher`) run the dynamic provider
    and the plugin on the emulator's clock (so shifting it means time passed for both sides)
    and keep their stderr for secret scans.
    """
    bin_dir = tmp_path / "bin"
    launcher.write_launchers(bin_dir, gh.base_url, log_dir=tmp_path)
    backend = tmp_path / "backend"
    backend.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{Path(pulumi_cli).parent}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PYTHONPATH": str(REPO),
    }
    saved = {k: os.environ.get(k) for k in env}
    # Inline programs run in this process, so the engine reads the same environment.
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
