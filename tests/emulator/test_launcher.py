"""The shipped launchers (`python -m github_app_emulator launcher`) and what they run
(`python -m github_app_emulator.follow`): the provider on the emulator's clock, on loopback only.

The real CLI runs them end to end in tests/e2e/test_launcher.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from github_app_emulator import Emulator
from github_app_emulator.follow import ENV, Refused, check_url
from github_app_emulator.launcher import LAUNCHES_LOG, STDERR_LOG, write_launchers

# A module that prints how far the runtime's clock is from real time, and its argv.
PROBE = """\
import sys, time
from github_app_token import clock
print(round(clock.now() - time.time()), sys.argv[1:])
"""
FOREIGN = [
    "http://example.com",
    "https://api.github.com",
    "https://github.example.com/api/v3",
    "http://10.0.0.7:8080",
    "http://127.0.0.1.evil.example:80",
    "http://localhost.evil.example",
    "http://user@127.0.0.1:1",
    "ftp://127.0.0.1:21",
    "127.0.0.1:8080",
    "http://127.0.0.1:99999",
    "http://[::1",
    "http://127.0.0.1:1/?next=https://example.com",
    "",
]


def follow(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "github_app_emulator.follow", *args],
                          capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    (tmp_path / "probe.py").write_text(PROBE)
    return tmp_path


@pytest.mark.parametrize("url", FOREIGN)
def test_a_url_off_loopback_is_refused(url: str) -> None:
    with pytest.raises(Refused):
        check_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1/", "http://[::1]:9",
                                 "https://127.0.0.2:443/api/v3", "http://127.0.0.1"])
def test_loopback_urls_are_accepted(url: str) -> None:
    assert check_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://example.com:80", "https://api.github.com"])
def test_the_provider_never_starts_against_a_url_off_loopback(probe: Path, url: str) -> None:
    """Whether from --emulator or the environment: refused before anything runs."""
    for args, env in ((["--emulator", url], {}), ([], {ENV: url})):
        ran = follow(*args, "--", "-m", "probe", env=env, cwd=probe)
        assert ran.returncode == 2 and ran.stdout == ""
        assert "loopback" in ran.stderr and url not in ran.stderr
        assert "Traceback" not in ran.stderr


def test_the_launcher_cli_refuses_a_url_off_loopback(tmp_path: Path) -> None:
    ran = subprocess.run([sys.executable, "-m", "github_app_emulator", "launcher", "--bin",
                          str(tmp_path / "bin"), "--emulator", "https://api.github.com"],
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 2 and "loopback" in ran.stderr and "Traceback" not in ran.stderr
    assert not (tmp_path / "bin").exists()


def test_no_emulator_answering_stops_the_provider(probe: Path) -> None:
    ran = follow("--emulator", "http://127.0.0.1:9", "--", "-m", "probe", cwd=probe)
    assert ran.returncode == 2 and ran.stdout == "" and "no emulator answered" in ran.stderr
    ran = follow("--", "-m", "probe", env={ENV: ""}, cwd=probe)
    assert ran.returncode == 2 and ENV in ran.stderr


def test_a_loopback_server_that_is_not_the_emulator_stops_the_provider(
    gh: Emulator, probe: Path
) -> None:
    """GitHub's own 404 for an unknown route is not a clock."""
    url = gh.base_url + "/not-the-emulator-root"
    ran = follow("--emulator", url, "--", "-m", "probe", cwd=probe)
    assert ran.returncode == 2 and ran.stdout == ""


@pytest.mark.parametrize("args", [[], ["-m", "probe"], ["--", "--flag"], ["--", "-m"],
                                  ["--emulator", "http://127.0.0.1:1", "x", "--", "-m", "probe"],
                                  ["--", "no-such-console-script"]])
def test_bad_usage_is_one_line(args: list[str], probe: Path) -> None:
    ran = follow(*args, env={ENV: "http://127.0.0.1:9"}, cwd=probe)
    assert ran.returncode == 2 and len(ran.stderr.strip().splitlines()) == 1


def test_emulator_without_its_url_is_a_usage_error(probe: Path) -> None:
    ran = follow("--emulator", "--", "-m", "probe", env={ENV: "http://127.0.0.1:9"}, cwd=probe)
    assert ran.returncode == 2 and "usage:" in ran.stderr


def test_the_provider_sees_the_emulators_shift(gh: Emulator, probe: Path) -> None:
    gh.shift_clock(1900)
    ran = follow("--emulator", gh.base_url, "--", "-m", "probe", "a", "--b", cwd=probe)
    assert ran.stdout.strip() == "1900 ['a', '--b']", ran.stderr
    ran = follow("--", "-m", "probe", env={ENV: gh.base_url + "/api/v3/"}, cwd=probe)
    assert ran.stdout.startswith("1900 ")
    gh.shift_clock(-3900)
    assert follow("--emulator", gh.base_url, "--", "-m", "probe", cwd=probe
                  ).stdout.startswith("-2000 ")


class _Bounce(BaseHTTPRequestHandler):
    """Redirects every request to the same path at `target`."""

    target = ""

    def do_GET(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirect_is_not_followed(gh: Emulator, probe: Path) -> None:
    """The clock is read where the URL says, never where an answer points."""
    gh.shift_clock(1900)
    bounce = type("Bounce", (_Bounce,), {"target": gh.base_url})
    with ThreadingHTTPServer(("127.0.0.1", 0), bounce) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            ran = follow("--emulator", url, "--", "-m", "probe", cwd=probe)
        finally:
            server.shutdown()
    assert ran.returncode == 2 and "no emulator answered" in ran.stderr


def test_a_console_script_runs_in_the_same_process(gh: Emulator) -> None:
    ran = follow("--emulator", gh.base_url, "--", "pulumi-resource-github-app-token", "--help")
    assert ran.returncode == 0 and "usage: pulumi-resource-github-app-token" in ran.stdout


def test_follow_loads_neither_the_server_nor_the_http_stack() -> None:
    """The launched provider imports what it would without the launcher, plus the stdlib."""
    code = ("import sys, github_app_emulator.follow; "
            "print(sorted(m for m in ('jwt', 'requests', 'cryptography', 'github_app_token', "
            "'github_app_emulator.control') if m in sys.modules))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert ran.stdout.strip() == "[]"


def test_launchers_are_written_for_both_pulumi_faces_and_any_other(tmp_path: Path) -> None:
    logs = tmp_path / "log dir"
    logs.mkdir()
    echo = tmp_path / "py dir" / "python"
    echo.parent.mkdir()
    echo.write_text('#!/bin/sh\necho "$@"\necho oops >&2\n')
    echo.chmod(0o755)
    written = write_launchers(tmp_path / "bin", "http://127.0.0.1:8080/", log_dir=logs,
                              also=("terraform-provider-githubapp",), python=str(echo))
    assert sorted(p.name for p in written) == [
        "pulumi-resource-github-app-token", "pulumi-resource-pulumi-python",
        "terraform-provider-githubapp"]
    runs = {p.name: subprocess.run([p, "127.0.0.1:1"], capture_output=True, text=True,
                                   timeout=30, check=True).stdout.strip() for p in written}
    follow_url = "-u -m github_app_emulator.follow --emulator http://127.0.0.1:8080 --"
    assert runs == {
        "pulumi-resource-pulumi-python": f"{follow_url} -m pulumi.dynamic 127.0.0.1:1",
        "pulumi-resource-github-app-token":
            f"{follow_url} pulumi-resource-github-app-token 127.0.0.1:1",
        "terraform-provider-githubapp": f"{follow_url} terraform-provider-githubapp 127.0.0.1:1",
    }
    assert (logs / LAUNCHES_LOG).read_text() == "launched\n" * 3
    assert (logs / STDERR_LOG).read_text() == "oops\n" * 3
    assert all(os.access(p, os.X_OK) for p in written)


def test_without_a_url_the_launcher_reads_the_environment_when_it_runs(tmp_path: Path) -> None:
    [dynamic, *_] = write_launchers(tmp_path / "bin")
    assert "--emulator" not in dynamic.read_text()
    ran = subprocess.run([dynamic], capture_output=True, text=True, timeout=60,
                         env={**os.environ, ENV: "https://api.github.com"})
    assert ran.returncode == 2 and "loopback" in ran.stderr


@pytest.mark.parametrize("also", [["../evil"], ["a b"], ["-m"], [""]])
def test_odd_launcher_names_are_refused(tmp_path: Path, also: list[str]) -> None:
    with pytest.raises(Refused):
        write_launchers(tmp_path / "bin", also=tuple(also))
