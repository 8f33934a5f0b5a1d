"""A `runtime: python` project of N InstallationTokens, driven by the real CLI in a subprocess.

A subprocess (not the Automation API) so a test can SIGKILL the CLI and its plugins mid-run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from .ledger import unwrap_secret
from .paths import REPO

TOKEN_TYPE = "pulumi-python:dynamic/github:InstallationToken"
PROGRAM = '''import pulumi
from github_app_token import InstallationToken

cfg = pulumi.Config()
for i in range(int(cfg.require("count"))):
    InstallationToken(f"t{i}", app_id=int(cfg.require("appId")),
                      private_key=cfg.require_secret("privateKey"),
                      installation_id=int(cfg.require("installationId")),
                      base_url=cfg.require("baseUrl"), repositories=["infra"])
'''


class Project:
    def __init__(self, env: dict[str, str], root: Path, name: str = "many") -> None:
        self.env = {**os.environ, **env}
        self.name = name
        self.work = root / f"project-{name}"
        self.work.mkdir()
        (self.work / "Pulumi.yaml").write_text(
            f"name: {name}\nruntime:\n  name: python\n  options:\n"
            f"    virtualenv: {REPO / '.venv'}\n")
        (self.work / "__main__.py").write_text(PROGRAM)
        self.backend = Path(env["PULUMI_BACKEND_URL"].removeprefix("file://"))

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 600,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.work,
                                env=self.env, input=stdin, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def init(self, gh: Any, count: int) -> None:
        self.cli("stack", "init", "dev")
        for key, value in (("count", str(count)), ("appId", str(gh.app_id)),
                           ("installationId", str(gh.installation_id)),
                           ("baseUrl", gh.base_url)):
            self.cli("config", "set", key, value)
        self.cli("config", "set", "--secret", "privateKey", stdin=gh.private_key_pem)

    def start_up(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", *args],
            cwd=self.work, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    @property
    def state_file(self) -> Path:
        return self.backend / ".pulumi" / "stacks" / self.name / "dev.json"

    def latest(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())["checkpoint"]["latest"]

    def tokens(self) -> dict[str, str]:
        """URN -> token of every InstallationToken in state (decrypted)."""
        exported = json.loads(self.cli("stack", "export", "--show-secrets").stdout)
        resources = exported["deployment"].get("resources") or []
        return {r["urn"]: unwrap_secret(r["outputs"]["token"]) for r in resources
                if r["type"] == TOKEN_TYPE}

    def started_processes(self) -> list[int]:
        """Pids of processes whose environment is this project's (CLI, hosts, providers)."""
        mark = f"PULUMI_HOME={self.env['PULUMI_HOME']}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    def kill_all(self) -> float:
        """SIGKILL the CLI and every plugin it started, as a cancelled CI job would be."""
        at = time.time()
        for pid in self.started_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return at
