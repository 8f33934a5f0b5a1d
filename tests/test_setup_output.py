"""What set-up prints: nothing on a warm run, and a progress line at least every 30 s in a build.

tools/pulumi-offline/pulumi-cli.sh runs here against stand-ins (a cached `pulumi`, or a fake
`go` whose build takes as long as the test wants), so nothing is built.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .support.paths import REPO

CLI_SCRIPT = REPO / "tools" / "pulumi-offline" / "pulumi-cli.sh"
PROGRESS = REPO / "tools" / "progress.sh"
LINE = re.compile(r"^(?P<label>.+): (?P<n>\d+)(?:/(?P<total>\d+))? (?P<unit>.+), "
                  r"(?:(?P<m>\d+)m)?(?P<s>\d+)s so far$")


def executable(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def wait_for(path: Path, text: str, count: int = 1) -> str:
    """Shell that waits (at most 60 s) until `path` holds `text` `count` times."""
    return (f'i=0; while [ "$(grep -c "{text}" "{path}" 2>/dev/null)" -lt {count} ] && '
            f'[ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done\n')


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PULUMI_CLI_CACHE": str(tmp_path / "cache"),
           "PULUMI_CLI_FORCE_BUILD": "1", **extra}
    for name in ("PULUMI_LANGUAGE_PYTHON_VERSION", "PULUMI_CLI_RETRY"):
        env.pop(name, None)
    return env


def seconds(match: re.Match[str]) -> int:
    return int(match["m"] or 0) * 60 + int(match["s"])


def test_a_warm_run_prints_nothing(tmp_path: Path) -> None:
    bin_dir = tmp_path / "cache" / "v3.274.1" / "bin"
    executable(bin_dir / "pulumi", 'echo "v3.274.1"\n')
    executable(bin_dir / "pulumi-language-yaml", "exit 0\n")
    (bin_dir / ".pulumi-language-yaml.version").write_text("v1.25.0\n")
    env = cli_env(tmp_path, PULUMI_LANGUAGE_YAML_VERSION="v1.25.0")
    first = subprocess.run(["bash", CLI_SCRIPT], env=env, capture_output=True, text=True,
                           timeout=60, check=True)
    # The first run installs the fallback Python host, and says so once; nothing to act on.
    assert first.stderr.splitlines() == [
        "pulumi-cli: installed pulumi-language-python: the fallback host "
        "(tools/pulumi-offline/pulumi_language_python.py)"]
    again = subprocess.run(["bash", CLI_SCRIPT], env=env, capture_output=True, text=True,
                           timeout=60, check=True)
    assert again.stderr == ""
    assert "export PATH=" in again.stdout


def test_progress_prints_a_line_every_interval_while_a_command_runs(tmp_path: Path) -> None:
    log, printed = tmp_path / "build.log", tmp_path / "progress.txt"
    # A slow 'build': one package per 0.2 s, until three progress lines have been printed.
    slow = executable(tmp_path / "slow", "n=0\n" + wait_for(printed, "so far", 3).replace(
        "sleep 0.1;", 'n=$((n+1)); echo "pkg$n"; sleep 0.2;') + "exit 3\n")
    with printed.open("w") as err:
        ran = subprocess.run([PROGRESS, "building x", "packages compiled", log, "900", "--",
                              slow], stderr=err, timeout=120,
                             env={**os.environ, "PROGRESS_INTERVAL": "1"})
    assert ran.returncode == 3, "the command's status is passed on"
    lines = printed.read_text().splitlines()
    matches = [LINE.match(line) for line in lines]
    assert len(lines) >= 3 and all(matches), lines
    assert all(m["label"] == "building x" and m["total"] == "900"
               and m["unit"] == "packages compiled" for m in matches if m)
    counts = [int(m["n"]) for m in matches if m]
    assert counts == sorted(counts) and counts[-1] > 0
    assert [seconds(m) for m in matches if m] == sorted({seconds(m) for m in matches if m})
    assert "pkg1" in log.read_text().splitlines(), "the command's output goes to the log"


def test_a_quick_command_prints_no_progress(tmp_path: Path) -> None:
    ran = subprocess.run([PROGRESS, "x", "things", tmp_path / "log", "--", "true"],
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and ran.stderr == ""


def test_the_default_interval_keeps_every_wait_under_30_seconds() -> None:
    [default] = re.findall(r'PROGRESS_INTERVAL:-(\d+)', PROGRESS.read_text())
    assert int(default) + 1 < 30  # +1: the loop wakes once a second


FAKE_GO = '''case "$1 $2" in
"mod download") echo '{'; echo '    "GoMod": "'"$FAKE_DIR"'/go.mod",'; echo '}' ;;
"get -tool") echo "go: downloading example.com/a v1.0.0" >&2 ;;
"list "*) printf 'stale dependency\\n%.0s' $(seq 40) ;;
"build -v")
    n=0
    WAIT
    while [ "$1" != "-o" ]; do shift; done
    printf '#!/bin/sh\\necho v3.274.1\\n' >"$2"; chmod +x "$2" ;;
esac
'''


def test_the_cli_build_reports_progress(tmp_path: Path) -> None:
    """pulumi-cli.sh's Go build, with a fake `go`: a progress line names what and how far."""
    stderr = tmp_path / "stderr.txt"
    (tmp_path / "go.mod").write_text("module upstream\n")
    wait = wait_for(stderr, "packages compiled", 2).replace(
        "sleep 0.1;", 'n=$((n+1)); echo "example.com/p$n" >&2; sleep 0.1;')
    executable(tmp_path / "fake-go" / "go", FAKE_GO.replace("WAIT", wait))
    env = cli_env(tmp_path, PULUMI_LANGUAGE_YAML_VERSION="", PROGRESS_INTERVAL="1",
                  FAKE_DIR=str(tmp_path),
                  PATH=f"{tmp_path / 'fake-go'}{os.pathsep}{os.environ['PATH']}")
    with stderr.open("w") as err:
        subprocess.run(["bash", CLI_SCRIPT], env=env, stdout=subprocess.DEVNULL, stderr=err,
                       timeout=120, check=True)
    lines = stderr.read_text().splitlines()
    progress = [m for m in map(LINE.match, lines) if m and m["unit"].startswith("packages")]
    assert len(progress) >= 2, lines
    assert all(m["label"] == "pulumi-cli: building pulumi" and m["total"] == "40"
               for m in progress)
    assert any(line.startswith("pulumi-cli: built pulumi v3.274.1 in ") for line in lines)
    assert not [line for line in lines if "NOTE" in line and "LANGUAGE_PYTHON" in line]
