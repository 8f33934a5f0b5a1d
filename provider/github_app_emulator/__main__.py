"""CLI: `python -m github_app_emulator [options]` serves until SIGTERM/SIGINT, after printing
exactly one JSON line on stdout; `python -m github_app_emulator launcher ...` writes provider
launchers that follow its clock (launcher.py). Every option: `--help` and docs/emulator.md.
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
from importlib import metadata
from types import FrameType
from typing import Any, Literal

from . import fixture_file
from .control import Emulator
from .fixture import DEFAULT, Fixture
from .tokens import FORMATS

DISTRIBUTION = "pulumi-github-app-token"

EPILOG = """\
once serving, it prints one JSON line on stdout and nothing after it:
  base_url, app_id, client_id, app_slug, installation_id, account, permissions,
  repositories, user_installation_id, suspended_installation_id, token_lifetime,
  token_format, private_key_path (the app's key, PEM, mode 0600), pid

control routes, under BASE_URL/_emulator/ (loopback Host only; POST bodies are JSON):
  GET info             what the JSON line says
  GET log, DELETE log  GitHub requests seen (tokens redacted); POST clear-log too
  GET clock            {"now", "shift"}; POST clock {"shift": S} moves it S seconds on
  POST faults          {"kind": ..., "count": N, ...}: misbehave; DELETE faults
  GET ledger           tokens minted, revoked, expired, live
  POST revoke-all      {}; POST token-lifetime {"seconds": S}; POST token-state
                       {"token": T}; POST installations/ID/permissions {name: level}

providers that follow its clock (to test renewal of your own stack):
  python -m github_app_emulator launcher --help

everything, with examples: docs/emulator.md in the pulumi-github-app-token repository
"""


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m github_app_emulator",
        usage="%(prog)s [options]\n       %(prog)s launcher --bin DIR [--emulator URL] ...",
        description="A local GitHub REST emulator for GitHub App installation tokens.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    serve = parser.add_argument_group("serving")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    serve.add_argument("--token-lifetime", type=float, default=3600.0, metavar="S",
                       help="seconds an installation token lives (GitHub: 3600)")
    serve.add_argument("--token-format", choices=FORMATS, default="stateless",
                       help="stateless: ghs_<app id>_<JWT>, ~520 chars (github.com); "
                       "legacy: 40 chars (GHES)")
    serve.add_argument("--idle-timeout", type=float, default=30.0, metavar="S",
                       help="close a connection whose request has not arrived whole after "
                       "S seconds (30)")
    serve.add_argument("--max-connections", type=int, default=256, metavar="N",
                       help="connections served at once; one more is answered 503 (256)")
    serve.add_argument("--control-host", action="append", default=[], metavar="NAME",
                       help="a host name besides loopback's that may use the control routes "
                       "(e.g. a container's); repeatable")
    world = parser.add_argument_group("the app and its installations")
    world.add_argument("--key-file", metavar="PATH",
                       help="the app's private key: read from PATH, or made there (mode 0600) "
                       "if missing, and kept; default: a new key each start, deleted on exit")
    world.add_argument("--fixture", metavar="FILE",
                       help="the app, accounts, repositories and installations, from JSON "
                       "(see --print-fixture and docs/emulator.md)")
    world.add_argument("--app-id", type=int, metavar="N", help="the app's id (123)")
    world.add_argument("--client-id", metavar="ID", help="the app's client ID "
                       "(default: derived from the key, so --key-file keeps it)")
    world.add_argument("--account", metavar="LOGIN",
                       help="the first installation's account (octo-org)")
    world.add_argument("--repositories", metavar="A,B,...",
                       help="what the first installation is given, or 'all' (infra,app,docs)")
    world.add_argument("--permissions", metavar="NAME=LEVEL,...",
                       help="what the app asks for and the first installation grants")
    world.add_argument("--print-fixture", action="store_true",
                       help="print the fixture these options make, as JSON, and exit")
    return parser


def _permissions(text: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in text.split(",") if item.strip()]
    if not pairs or any(not sep for _, sep, _ in pairs):
        raise fixture_file.FixtureError("--permissions: write NAME=LEVEL,... e.g. contents=read")
    return fixture_file.permission_map(
        {name.strip(): level.strip() for name, _, level in pairs}, "--permissions"
    )


def _repositories(text: str) -> tuple[str, ...] | Literal["all"]:
    if text.strip() == "all":
        return "all"
    names = [name.strip() for name in text.split(",") if name.strip()]
    return fixture_file.selection(names, "--repositories") or ()


def _fixture(args: argparse.Namespace) -> Fixture:
    """The file's fixture (or the default) with the shaping flags over it."""
    world = DEFAULT if args.fixture is None else fixture_file.load(args.fixture)
    return fixture_file.override(
        world,
        app_id=None if args.app_id is None else fixture_file.identifier(args.app_id, "--app-id"),
        client_id=(
            None if args.client_id is None else fixture_file.client_id(args.client_id,
                                                                         "--client-id")
        ),
        account=None if args.account is None else fixture_file.login(args.account, "--account"),
        repositories=None if args.repositories is None else _repositories(args.repositories),
        permissions=None if args.permissions is None else _permissions(args.permissions),
    )


def _fail(message: str) -> int:
    """One line on stderr, no usage, no traceback: the value was wrong, not the syntax."""
    print(f"python -m github_app_emulator: error: {message}", file=sys.stderr)
    return 2


def _write_key(directory: str, pem: str) -> str:
    path = os.path.join(directory, "app-private-key.pem")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pem)
    return path


def _serve(gh: Emulator, key_path: str, stop: threading.Event) -> None:
    line: dict[str, Any] = {**gh.info(), "private_key_path": key_path, "pid": os.getpid()}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.2):
        pass


def _emulator(args: argparse.Namespace, world: Fixture) -> Emulator:
    return Emulator(
        args.host,
        args.port,
        token_lifetime=args.token_lifetime,
        token_format=args.token_format,
        fixture=world,
        key_file=args.key_file,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        control_hosts=args.control_host,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["launcher"]:
        from . import launcher

        return launcher.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.token_lifetime <= 0:
        return _fail("--token-lifetime must be positive")
    try:
        world = _fixture(args)
    except fixture_file.FixtureError as exc:
        return _fail(str(exc))
    if args.print_fixture:
        print(json.dumps(fixture_file.to_json(world), indent=2))
        return 0
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    directory = tempfile.mkdtemp(prefix="github-emulator-")  # mode 0700
    try:
        gh = _emulator(args, world)
        with gh:
            key_path = gh.key_file or _write_key(directory, gh.private_key_pem)
            _serve(gh, os.path.abspath(key_path), stop)
    except (ValueError, OSError) as exc:  # a bad key file, limit or fixture; a busy port
        return _fail(_reason(exc))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, ValueError):
        return f"could not listen ({exc.strerror or exc}); check --host and --port"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
