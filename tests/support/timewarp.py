"""Run Pulumi's dynamic-provider server on the emulator's clock (tests and demo only).

The demo and the end-to-end tests "wait an hour" by shifting the emulator's clock.
The provider decides renewal by its own clock, so it must move too. `write_launcher`
puts a `pulumi-resource-pulumi-python` into a bin dir that runs

    python -u tests/support/timewarp.py ARGS...   # instead of python -u -m pulumi.dynamic ARGS...

which reads the shift from the emulator at GITHUB_APP_TOKEN_EMULATOR_URL and moves
`github_app_token.clock.now` by it. Only that seam moves: gRPC keeps the real time.
Put the bin dir first on PATH; the launcher users install has no such branch.

    python tests/support/timewarp.py --write-launcher BIN_DIR EMULATOR_URL [LOG_DIR]

writes the launcher from a shell (the demo); the e2e fixture calls `write_launcher`.
With LOG_DIR, each launch appends a line to LAUNCHES_LOG and the provider's stderr
goes to STDERR_LOG there (the tests count launches and scan stderr for secrets).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Run by path, this file's directory leads sys.path, and its secrets.py would shadow
# the standard library's in the provider. Drop it before anything else is imported.
if __name__ == "__main__" and sys.path and Path(sys.path[0] or ".").resolve() == Path(
    __file__
).resolve().parent:
    del sys.path[0]

ENV = "GITHUB_APP_TOKEN_EMULATOR_URL"
LAUNCHER = "pulumi-resource-pulumi-python"
LAUNCHES_LOG = "provider-launches.log"
STDERR_LOG = "provider-stderr.log"


def emulator_shift(base_url: str) -> float:
    """Seconds the emulator's clock is ahead of this machine's."""
    import json
    import urllib.request

    with urllib.request.urlopen(base_url.rstrip("/") + "/_emulator/clock", timeout=10) as reply:
        return float(json.load(reply)["shift"])


def write_launcher(
    bin_dir: Path, emulator_url: str, log_dir: Path | None = None, python: str = sys.executable
) -> Path:
    """Write the timewarp launcher into `bin_dir` (created if missing) and return its path."""
    from shlex import quote

    bin_dir.mkdir(parents=True, exist_ok=True)
    lines = ["#!/bin/sh", f"# Written by {quote(__file__)}: the provider on the emulator's clock."]
    redirect = ""
    if log_dir is not None:
        lines.append(f"echo launched >> {quote(str(log_dir / LAUNCHES_LOG))}")
        redirect = f" 2>> {quote(str(log_dir / STDERR_LOG))}"
    lines += [
        f"export {ENV}={quote(emulator_url)}",
        f'exec {quote(python)} -u {quote(str(Path(__file__).resolve()))} "$@"{redirect}',
    ]
    launcher = bin_dir / LAUNCHER
    launcher.write_text("\n".join(lines) + "\n")
    launcher.chmod(0o755)
    return launcher


def serve() -> None:
    """Pulumi's dynamic-provider server, with `clock.now` moved by the emulator's shift."""
    import runpy

    url = os.environ.get(ENV)
    shift = emulator_shift(url) if url else 0.0
    if shift:
        from github_app_token import clock

        real = clock.now
        clock.now = lambda: real() + shift
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


def main(argv: list[str]) -> None:
    # The engine never passes --write-launcher to a provider: its arguments are Go flags
    # and the engine's address.
    if argv[:1] == ["--write-launcher"]:
        if len(argv) not in (3, 4):
            sys.exit(f"usage: {sys.argv[0]} --write-launcher BIN_DIR EMULATOR_URL [LOG_DIR]")
        log_dir = Path(argv[3]) if len(argv) == 4 else None
        print(write_launcher(Path(argv[1]), argv[2], log_dir))
        return
    serve()


if __name__ == "__main__":
    main(sys.argv[1:])
