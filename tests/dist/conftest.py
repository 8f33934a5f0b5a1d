"""The artifacts of `make dist`, tested the way users get them.

`make test` runs `make dist` first. Without dist/ (or with one of another version) these tests
skip, unless REQUIRE_DIST asks for them (then they fail). The CLI tests use the real pulumi
CLI (`eval "$(tools/pulumi-offline/pulumi-cli.sh)"`), each with a fresh PULUMI_HOME.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from github_app_token.version import __version__

from ..support.paths import REPO

DIST = REPO / "dist"
WHEELHOUSE = REPO / ".cache" / "dist-build" / "wheelhouse"  # tools/dist.sh fills it
PLUGIN = "pulumi-resource-github-app-token"
WHEEL = f"pulumi_github_app_token-{__version__}-py3-none-any.whl"
SDK_WHEEL = f"pulumi_github_app_token_sdk-{__version__}-py3-none-any.whl"


def require(what: str, env: str = "REQUIRE_DIST") -> None:
    """Fail when `env` demands `what`, else skip."""
    if os.environ.get(env):
        pytest.fail(what)
    pytest.skip(what)


def artifact(name: str) -> Path:
    path = DIST / name
    if not path.is_file():
        require(f"no dist/{name}: run `make dist`")
    return path


def plugin_archive() -> Path:
    [path] = DIST.glob(f"{PLUGIN}-v{__version__}-*-*.tar.gz") or [DIST / "missing"]
    return artifact(path.name)


def tool(name: str, env: str = "REQUIRE_DIST") -> str:
    path = shutil.which(name)
    if path is None:
        require(f"no `{name}` on PATH", env)
    return path


def doc_example(language: str) -> str:
    """The one ```language block of docs/sdks.md: the docs show what the tests run."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", (REPO / "docs/sdks.md").read_text(),
                        re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"docs/sdks.md must hold exactly one {language} example"
    return blocks[0]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run, and on failure show what the command said. PYTHONPATH never leads a fresh
    virtualenv back to this checkout."""
    env = {k: v for k, v in kwargs.pop("env", os.environ).items() if k != "PYTHONPATH"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env,
                            **{"timeout": 900, **kwargs})
    assert result.returncode == 0, f"{' '.join(cmd[:4])} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the package wheel and the Python SDK wheel, nothing else of ours.

    Dependencies come from the wheelhouse `make dist` fetched, or from PyPI if it lacks any.
    """
    wheels = [str(artifact(WHEEL)), str(artifact(SDK_WHEEL))]
    venv = tmp_path_factory.mktemp("wheels") / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    try:
        run([*pip, "--no-index", "--find-links", str(WHEELHOUSE), *wheels])
    except AssertionError:  # the wheelhouse lacks something: PyPI has it
        run([*pip, *wheels])
    return venv


@pytest.fixture
def pulumi_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """An environment for the real CLI: a fresh PULUMI_HOME and backend, and a PATH of only
    the CLI's directory (and the given ones) and the system's: no plugin of ours on it."""
    pulumi = tool("pulumi", "REQUIRE_PULUMI_CLI")

    def make(*path: Path, **extra: str) -> dict[str, str]:
        (tmp_path / "backend").mkdir(exist_ok=True)
        # The CLI's directory, and ours of launchers and language hosts where it is elsewhere.
        cli_dirs = [str(Path(pulumi).parent), os.environ.get("PULUMI_CLI_BIN", "")]
        dirs = [*map(str, path), *filter(None, cli_dirs), "/usr/bin", "/bin"]
        env = {
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "PATH": os.pathsep.join(dict.fromkeys(dirs)),
            "PULUMI_HOME": str(tmp_path / "pulumi-home"),
            "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": "dist-tests",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            **extra,
        }
        assert shutil.which(PLUGIN, path=env["PATH"]) is None, f"{PLUGIN} is on PATH"
        return env

    return make
