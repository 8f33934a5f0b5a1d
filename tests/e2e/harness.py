"""A thin wrapper over the Automation API for one test: stacks, state files, logs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from github_app_emulator.launcher import LAUNCHES_LOG, STDERR_LOG

TOKEN_TYPE = "pulumi-python:dynamic/github:InstallationToken"
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_ciphertext(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG[0]) == SECRET_SIG[1] and (
        "ciphertext" in value)


class Harness:
    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp = tmp_path
        self.output: list[str] = []

    def inline(self, program: Callable[[], None], project: str = "e2e") -> auto.Stack:
        work = self.tmp / f"work-{project}"
        work.mkdir(exist_ok=True)
        return auto.create_or_select_stack(
            stack_name="dev", project_name=project, program=program,
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(work), env_vars=self.env,
                project_settings=auto.ProjectSettings(name=project, runtime="python")),
        )

    def local(self, work_dir: Path) -> auto.Stack:
        return auto.create_or_select_stack(
            stack_name="dev", work_dir=str(work_dir),
            opts=auto.LocalWorkspaceOptions(env_vars=self.env))

    def up(self, stack: auto.Stack, **kwargs: Any) -> auto.UpResult:
        result = stack.up(on_output=self.output.append, color="never", **kwargs)
        self.output += [result.stdout, result.stderr]
        return result

    def raw_state(self) -> bytes:
        """Every byte the file backend wrote: stacks, history and backups."""
        backend = Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        return b"".join(p.read_bytes() for p in sorted(backend.rglob("*")) if p.is_file())

    def provider_stderr(self) -> bytes:
        path = self.tmp / STDERR_LOG
        return path.read_bytes() if path.exists() else b""

    def launches(self) -> int:
        path = self.tmp / LAUNCHES_LOG
        return len(path.read_text().splitlines()) if path.exists() else 0

    def stored_resources(self, project: str = "e2e") -> list[dict[str, Any]]:
        """Resources as the backend stores them on disk (secrets as ciphertext)."""
        backend = Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        [path] = (backend / ".pulumi" / "stacks").rglob(f"{project}/dev.json")
        checkpoint = json.loads(path.read_text())
        return checkpoint["checkpoint"]["latest"].get("resources") or []


def token_resources(stack: auto.Stack) -> list[dict[str, Any]]:
    """InstallationToken resources of `stack`, secrets decrypted."""
    resources = stack.export_stack().deployment.get("resources") or []
    return [r for r in resources if r["type"] == TOKEN_TYPE]
