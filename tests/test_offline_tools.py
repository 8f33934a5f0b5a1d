"""tools/pulumi-offline/pulumi-cli.sh, without building anything.

A stand-in `pulumi` (and language hosts) on PATH makes the script take its "use the
system CLI" branch; a stand-in python shows what its launcher would run. (The emulator's
clock-following launchers are tested in tests/emulator/test_launcher.py.)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from github_app_emulator.follow import ENV

from .support.paths import REPO

CLI_SCRIPT = REPO / "tools" / "pulumi-offline" / "pulumi-cli.sh"
EMULATOR_URL = "http://127.0.0.1:9/"


def executable(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def echo_python(tmp_path: Path) -> Path:
    """A 'python' that prints its arguments and the emulator variable instead of running."""
    return executable(tmp_path / "py dir" / "python",
                      f'echo "$@" "[${{{ENV}:-}}]"\n')


def run_cli_script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    system = tmp_path / "system-bin"
    executable(system / "pulumi", 'echo "v3.274.1"\n')
    for host in ("pulumi-language-python", "pulumi-language-yaml"):
        executable(system / host, "exit 0\n")
    env = {**os.environ, "PATH": f"{system}{os.pathsep}{os.environ['PATH']}",
           "PULUMI_CLI_CACHE": str(tmp_path / "cache")}
    env.pop("PULUMI_CLI_FORCE_BUILD", None)
    return subprocess.run(["bash", str(CLI_SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=True)


def test_the_users_launcher_has_no_emulator_branch(tmp_path: Path, echo_python: Path) -> None:
    bin_dir = Path(run_cli_script(tmp_path, "--print-bin").stdout.strip())
    assert bin_dir == tmp_path / "cache" / "v3.274.1" / "bin"
    launcher = bin_dir / "pulumi-resource-pulumi-python"
    assert "github_app_emulator" not in launcher.read_text()
    for emulator in ("", EMULATOR_URL):
        env = {**os.environ, "PULUMI_PYTHON": str(echo_python), ENV: emulator}
        ran = subprocess.run([launcher, "127.0.0.1:1"], env=env, capture_output=True,
                             text=True, timeout=30, check=True)
        assert ran.stdout.split(" [")[0] == "-u -m pulumi.dynamic 127.0.0.1:1"


def test_exports_put_the_system_cli_first_and_our_bin_next(tmp_path: Path) -> None:
    exports = run_cli_script(tmp_path).stdout
    printed = subprocess.run(["bash", "-c", exports + 'printf "%s\\n" "$PATH" "$PULUMI_CLI_BIN"'],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    path, bin_dir = printed.splitlines()
    assert path.split(os.pathsep)[:2] == [str(tmp_path / "system-bin"), bin_dir]
    # A system pulumi brings its own language hosts: nothing is built or shadowed.
    assert sorted(p.name for p in Path(bin_dir).iterdir()) == ["pulumi-resource-pulumi-python"]
