"""`pulumi up`, no-op `up` and `preview` with the real CLI: our stack against trivial ones.

Every kind is a stack of the same project (benchmarks/stack) on one local file backend, with
`count` resources carrying the same inputs. Rounds interleave the kinds in a rotated order;
each round per kind: up (creates), preview, no-op up, then an untimed destroy. The emulator's
request log is read around preview and no-op up: both must send GitHub nothing.

The plugin face is the `token-yaml` kind: a `runtime: yaml` stack of the same tokens, the app
and key in provider configuration.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .emulator import EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("up", "preview", "noop")


@dataclass
class Kind:
    """One stack flavour. `project` writes its project files into a fresh directory."""

    name: str
    config: dict[str, str] = field(default_factory=dict)
    project: Callable[[Path, int], None] | None = None
    key_config: str = "privateKey"
    """The stack config key the private key is stored under, as a secret."""
    pythonpath: str | None = None
    """Put first on PYTHONPATH, e.g. another revision's `provider/` (see `baseline`)."""
    provider_config: bool = False
    """The app id and API root go to the plugin's provider configuration too."""


def python_project(directory: Path, _count: int) -> None:
    shutil.copy(ROOT / "benchmarks" / "stack" / "__main__.py", directory / "__main__.py")
    venv = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv")
    (directory / "Pulumi.yaml").write_text(
        "name: bench\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        f"    virtualenv: {venv}\n"
    )


def yaml_project(directory: Path, count: int) -> None:
    """`count` plugin tokens with the same inputs; YAML has no loops, so they are written out."""
    resources = "".join(
        f"  r{index}:\n    type: github-app-token:index:InstallationToken\n"
        "    properties:\n      installationId: ${installationId}\n"
        for index in range(count))
    # The plugin's directory is named (the one first on PATH too), so the engine does not warn.
    plugins = ("plugins:\n  providers:\n    - name: github-app-token\n"
               f"      path: {Path(sys.executable).parent}\n")
    (directory / "Pulumi.yaml").write_text(
        "name: bench\nruntime: yaml\n" + plugins
        + "config:\n  installationId:\n    type: integer\n"
        f"resources:\n{resources}")


KINDS: dict[str, Kind] = {
    "token": Kind("token", {"kind": "token"}, python_project),
    "trivial": Kind("trivial", {"kind": "trivial"}, python_project),
    "trivial-key": Kind("trivial-key", {"kind": "trivial-key"}, python_project),
    "trivial-plain": Kind("trivial-plain", {"kind": "trivial-plain"}, python_project),
    # The key once per stack: the provider reads it in configure(), resources carry none.
    "token-config": Kind("token-config", {"kind": "token-config"}, python_project,
                         key_config="github-app-token:privateKey"),
    # The plugin face: the same tokens from a YAML program, app and key in provider config.
    "token-yaml": Kind("token-yaml", {}, yaml_project,
                       key_config="github-app-token:privateKey", provider_config=True),
}


def baseline(ref: str, work: Path) -> Kind:
    """A `token` stack running the runtime code of git revision `ref` (e.g. `main`)."""
    target = work.resolve().parent / "bench-baseline"  # outside `work`, which is wiped
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "provider"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    name = "token-at-" + re.sub(r"[^A-Za-z0-9_.-]", "-", ref)  # a valid stack name
    kind = Kind(name, {"kind": "token"}, python_project,
                pythonpath=str(target / "provider"))
    KINDS[kind.name] = kind
    return kind


@dataclass
class StackTimes:
    kind: str
    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    """CPU seconds of the whole process tree (CLI, language host, program, providers)."""
    requests: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STEPS})

    def median(self, step: str) -> float:
        return statistics.median(self.times[step])


class Workspace:
    """A project directory per kind, one shared file backend, the CLI on PATH."""

    def __init__(self, work: Path, gh: EmulatorProcess, count: int) -> None:
        work = work.resolve()
        shutil.rmtree(work, ignore_errors=True)
        (work / "backend").mkdir(parents=True)
        self.work, self.gh, self.count = work, gh, count
        self.env = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{work / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": "bench-only",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_HOME": str(work / "pulumi-home"),
            # Program and dynamic provider import `benchmarks.trivial` from this checkout.
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        }
        # The clock never moves here: providers run as installed, not through the emulator's
        # clock-following launcher (`python -m github_app_emulator launcher`).
        self.env.pop("GITHUB_APP_TOKEN_EMULATOR_URL", None)
        # The plugin executable sits beside this interpreter (a console script of the venv).
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"

    def pulumi(self, kind: str, *args: str, stdin: str | None = None) -> tuple[float, float]:
        """(wall, CPU) seconds of one CLI command, CPU summed over every process it reaped."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        env = self.env
        if KINDS[kind].pythonpath:
            env = {**env, "PYTHONPATH": f"{KINDS[kind].pythonpath}{os.pathsep}{env['PYTHONPATH']}"}
        result = subprocess.run(
            ["pulumi", "--non-interactive", *args], cwd=self.work / kind,
            env=env, input=stdin, capture_output=True, text=True, timeout=600,
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} ({kind}) failed:\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return elapsed, cpu

    def init(self, kind: Kind) -> None:
        directory = self.work / kind.name
        directory.mkdir()
        assert kind.project is not None
        kind.project(directory, self.count)
        self.pulumi(kind.name, "stack", "init", kind.name)  # selects it in this directory
        values = {
            **kind.config, "count": str(self.count), "appId": str(self.gh.app_id),
            "installationId": str(self.gh.installation_id), "baseUrl": self.gh.base_url,
        }
        if kind.provider_config:
            values.update({"github-app-token:appId": str(self.gh.app_id),
                           "github-app-token:baseUrl": self.gh.base_url})
            values = {k: v for k, v in values.items() if k not in ("count", "appId", "baseUrl")}
        for key, value in values.items():
            self.pulumi(kind.name, "config", "set", key, value)
        # Through stdin: the key never appears on a command line.
        self.pulumi(kind.name, "config", "set", "--secret", kind.key_config,
                    stdin=self.gh.private_key_pem)

    def step(self, kind: str, step: str) -> tuple[float, float, int]:
        """(wall, CPU) seconds and the GitHub requests the emulator saw."""
        self.gh.clear_log()
        if step == "preview":
            elapsed, cpu = self.pulumi(kind, "preview")
        else:  # "up" (creates) and "noop" (nothing changed) are the same command
            elapsed, cpu = self.pulumi(kind, "up", "--yes", "--skip-preview")
        return elapsed, cpu, self.gh.request_count()

    def destroy(self, kind: str) -> None:
        self.pulumi(kind, "destroy", "--yes", "--skip-preview")


def measure(
    gh: EmulatorProcess, *, kinds: list[str], count: int, rounds: int, work: Path
) -> list[StackTimes]:
    workspace = Workspace(work, gh, count)
    found = [StackTimes(name) for name in kinds]
    for name in kinds:
        workspace.init(KINDS[name])
    # Warm-up: one untimed cycle per kind (plugin discovery, page cache, .pyc files).
    for name in kinds:
        workspace.step(name, "up")
        workspace.destroy(name)
    for index in range(rounds):
        shift = index % len(found)
        for stack in found[shift:] + found[:shift]:
            for step in STEPS:
                elapsed, cpu, seen = workspace.step(stack.kind, step)
                stack.times[step].append(elapsed)
                stack.cpu[step].append(cpu)
                stack.requests[step].append(seen)
            workspace.destroy(stack.kind)
    return found
