"""Write provider launchers that follow the emulator's clock (follow.py), for a stack's tests.

    python -m github_app_emulator launcher --bin DIR [--emulator URL] [--also NAME ...]
                                           [--log-dir DIR] [--python PATH]

writes into DIR, for the Pulumi engine to find first on PATH (or through
`plugins.providers[].path` in a Pulumi.yaml):
- `pulumi-resource-pulumi-python`: Pulumi's host of dynamic providers (`InstallationToken`
  from a Python program), which the engine runs as `python -u -m pulumi.dynamic`;
- `pulumi-resource-github-app-token`: the provider plugin (YAML and every other language);
- one launcher per `--also NAME`: any other console script of ours (e.g. a Terraform face's).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from shlex import quote

from .follow import ENV, Refused, check_url

# Launcher name -> what follow.py runs.
PULUMI_TARGETS = {
    "pulumi-resource-pulumi-python": ["-m", "pulumi.dynamic"],
    "pulumi-resource-github-app-token": ["pulumi-resource-github-app-token"],
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
LAUNCHES_LOG = "provider-launches.log"
STDERR_LOG = "provider-stderr.log"


def _script(
    name: str, target: list[str], emulator: str | None, log_dir: Path | None, python: str
) -> str:
    lines = [
        "#!/bin/sh",
        f"# Written by `python -m github_app_emulator launcher`: {name} on the clock of a",
        "# local GitHub emulator, for tests only (docs/emulator.md). It refuses any other URL.",
    ]
    redirect = ""
    if log_dir is not None:
        lines.append(f"echo launched >> {quote(str(log_dir / LAUNCHES_LOG))}")
        redirect = f" 2>> {quote(str(log_dir / STDERR_LOG))}"
    url = "" if emulator is None else f" --emulator {quote(emulator)}"
    command = " ".join(quote(part) for part in target)
    lines.append(
        f'exec {quote(python)} -u -m github_app_emulator.follow{url} -- {command} "$@"{redirect}'
    )
    return "\n".join(lines) + "\n"


def write_launchers(
    bin_dir: Path,
    emulator: str | None = None,
    *,
    also: tuple[str, ...] = (),
    log_dir: Path | None = None,
    python: str = sys.executable,
) -> list[Path]:
    """Write the launchers into `bin_dir` (made if missing) and return their paths.

    `emulator`: the emulator's base URL, fixed in the launchers; None: read from
    GITHUB_APP_TOKEN_EMULATOR_URL when they run. Either way it must be on loopback
    (`follow.Refused` otherwise). `log_dir`: each launch appends a line to LAUNCHES_LOG
    there, and the provider's stderr goes to STDERR_LOG (e.g. to search it for secrets).
    """
    if emulator is not None:
        emulator = check_url(emulator)
    if not all(_NAME.fullmatch(name) for name in also):
        raise Refused("--also takes the name of a console script, such as "
                      "terraform-provider-githubapp")
    targets = {**PULUMI_TARGETS, **{name: [name] for name in also}}
    bin_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, target in targets.items():
        path = bin_dir / name
        path.write_text(_script(name, target, emulator, log_dir, python))
        path.chmod(0o755)
        written.append(path)
    return written


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m github_app_emulator launcher",
        description="Write provider launchers that see time pass when the emulator's clock "
        "moves, so `pulumi up` renews tokens after POST /_emulator/clock. Put BIN first on "
        "PATH for the engine. For tests against a loopback emulator only.",
        epilog="docs/emulator.md, 'Test renewal of your own stack', has worked examples.",
    )
    parser.add_argument("--bin", required=True, type=Path, metavar="DIR",
                        help="where to write the launchers (made if missing)")
    parser.add_argument("--emulator", metavar="URL",
                        help=f"the emulator's base_url; default: {ENV} when a launcher runs")
    parser.add_argument("--also", action="append", default=[], metavar="NAME",
                        help="also a launcher for this console script of ours; repeatable")
    parser.add_argument("--log-dir", type=Path, metavar="DIR",
                        help=f"count launches in DIR/{LAUNCHES_LOG}; stderr to DIR/{STDERR_LOG}")
    parser.add_argument("--python", default=sys.executable, metavar="PATH",
                        help="the Python that has the providers installed (this one)")
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        written = write_launchers(args.bin, args.emulator, also=tuple(args.also),
                                  log_dir=args.log_dir, python=args.python)
    except Refused as refused:
        parser.error(str(refused))
    except OSError as exc:
        parser.error(f"could not write into --bin ({exc.strerror})")
    for path in written:
        print(path)
    return 0
