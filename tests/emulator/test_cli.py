"""`python -m github_app_emulator` as a user runs it: help, version, a kept key, a shaped world."""

from __future__ import annotations

import json
import select
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import requests

from github_app_emulator import admin
from github_app_emulator.fixture import DEFAULT
from github_app_emulator.fixture_file import override, to_json

CLI = [sys.executable, "-m", "github_app_emulator"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


@contextmanager
def serving(*args: str) -> Iterator[dict[str, Any]]:
    """The CLI running with `args`; yields its JSON line, then stops it with SIGTERM."""
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the emulator did not announce itself in time"
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, proc.stderr.read()  # type: ignore[union-attr]
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_help_names_every_control_route_every_field_and_the_docs() -> None:
    text = run("--help").stdout
    for pattern in {p.pattern for _, p, _ in admin._ROUTES}:
        route = pattern.removeprefix(f"^{admin.PREFIX}/").removesuffix("/?$")
        assert route.replace("([^/]+)", "ID") in text, route
    with serving() as line:
        for field in line:
            assert field in text, field
    for words in ("JSON line", "/_emulator/", "docs/emulator.md", "launcher", "--key-file",
                  "--fixture", "loopback"):
        assert words in text, words


def test_version() -> None:
    ran = run("--version")
    assert ran.returncode == 0
    installed = metadata.version("pulumi-github-app-token")
    assert ran.stdout.strip() == f"python -m github_app_emulator {installed}"


def test_a_key_file_and_a_shaped_world_survive_a_restart(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "app.pem"
    key.parent.mkdir()
    args = ("--key-file", str(key), "--app-id", "77", "--account", "acme",
            "--repositories", "api,web", "--permissions", "contents=read,metadata=read")
    with serving(*args) as first:
        assert first["private_key_path"] == str(key)
        assert (first["app_id"], first["account"], first["repositories"]) == (
            77, "acme", ["api", "web"])
        assert first["permissions"] == {"contents": "read", "metadata": "read"}
        pem = key.read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text() == pem  # kept on exit
    with serving(*args) as again:
        # What a stack's config holds is still right: key, app id, client ID, installation.
        for field in ("app_id", "client_id", "installation_id", "private_key_path"):
            assert again[field] == first[field], field
        assert key.read_text() == pem
        assert requests.get(f"{again['base_url']}/_emulator/info", timeout=10).json()[
            "client_id"] == first["client_id"]


def test_without_a_key_file_the_key_is_temporary() -> None:
    with serving() as line:
        path = Path(line["private_key_path"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.exists()


def test_print_fixture_shows_the_world_the_options_make(tmp_path: Path) -> None:
    assert json.loads(run("--print-fixture").stdout) == to_json(DEFAULT)
    shaped = run("--print-fixture", "--client-id", "Iv1.abc", "--repositories", "all")
    assert json.loads(shaped.stdout) == to_json(
        override(DEFAULT, client_id="Iv1.abc", repositories="all"))
    # What it prints is a fixture file.
    path = tmp_path / "world.json"
    path.write_text(shaped.stdout)
    assert json.loads(run("--print-fixture", "--fixture", str(path)).stdout) == json.loads(
        shaped.stdout)


@pytest.mark.parametrize(("args", "says"), [
    (["--permissions", "contents=sideways"], "--permissions"),
    (["--permissions", "contents"], "--permissions: write NAME=LEVEL"),
    (["--repositories", ","], "--repositories"),
    (["--account", "no spaces"], "--account"),
    (["--app-id", "0"], "--app-id"),
    (["--client-id", "123"], "--client-id"),
    (["--fixture", "/nonexistent/world.json"], "fixture file could not be read"),
    (["--idle-timeout", "0"], "idle_timeout"),
    (["--max-connections", "0"], "max_connections"),
    (["--control-host", "a b"], "control host"),
])
def test_a_mistake_is_one_clear_line(args: list[str], says: str) -> None:
    ran = run(*args)
    assert ran.returncode == 2 and ran.stdout == ""
    assert says in ran.stderr and "Traceback" not in ran.stderr
    assert ran.stderr.startswith("python -m github_app_emulator: error: ")
    assert len(ran.stderr.splitlines()) == 1


def test_a_fixture_file_with_a_mistake_names_it(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps({"installations": [{"account": "a", "permissions": {
        "contents": "read", "pull_request": "write"}}]}))
    ran = run("--fixture", str(path))
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert "fixture.installations[0].permissions: unknown permission 'pull_request'" in ran.stderr


def test_a_bad_key_file_or_a_busy_port_is_one_line(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text("-----BEGIN NONSENSE-----\n")
    ran = run("--key-file", str(key))
    assert ran.returncode == 2 and "key file" in ran.stderr and "NONSENSE" not in ran.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ran = run("--port", str(busy.getsockname()[1]))
    assert ran.returncode == 2 and "could not listen" in ran.stderr
    assert "Traceback" not in ran.stderr and len(ran.stderr.splitlines()) == 1


def test_limits_and_control_hosts_reach_the_server() -> None:
    with serving("--idle-timeout", "0.5", "--control-host", "emulator") as line:
        url = line["base_url"]
        assert requests.get(f"{url}/_emulator/clock", headers={"Host": "emulator"},
                            timeout=10).status_code == 200
        assert requests.get(f"{url}/_emulator/clock", headers={"Host": "evil.example"},
                            timeout=10).status_code == 403
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET /app HTTP/1.1\r\n")
            sock.settimeout(5)
            assert sock.recv(100) == b""  # cut at the idle timeout

