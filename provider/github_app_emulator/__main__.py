"""CLI: `python -m github_app_emulator [--host H] [--port P] [--token-lifetime S]`
[--token-format stateless|legacy].

Prints exactly one JSON line on stdout once serving (with the path of a freshly generated
key file, mode 0600, in a temp dir removed on exit), then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from types import FrameType

from .control import Emulator
from .tokens import FORMATS


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m github_app_emulator",
        description="Local GitHub REST emulator (installation tokens).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=3600.0,
        metavar="S",
        help="seconds an installation token lives (GitHub: 3600)",
    )
    parser.add_argument(
        "--token-format",
        choices=FORMATS,
        default="stateless",
        help="stateless: ghs_<app id>_<JWT>, ~520 chars (github.com); legacy: 40 chars (GHES)",
    )
    args = parser.parse_args(argv)
    if args.token_lifetime <= 0:
        parser.error("--token-lifetime must be positive")
    return args


def _write_key(directory: str, pem: str) -> str:
    path = os.path.join(directory, "app-private-key.pem")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pem)
    return path


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    directory = tempfile.mkdtemp(prefix="github-emulator-")  # mode 0700
    try:
        with Emulator(
            args.host,
            args.port,
            token_lifetime=args.token_lifetime,
            token_format=args.token_format,
        ) as gh:
            line = {
                **gh.info(),
                "private_key_path": _write_key(directory, gh.private_key_pem),
                "pid": os.getpid(),
            }
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
            while not stop.wait(0.2):
                pass
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
