"""Run one of our provider entry points on the emulator's clock: for tests of your own stack.

    python -m github_app_emulator.follow [--emulator URL] -- -m pulumi.dynamic ARGS...
    python -m github_app_emulator.follow [--emulator URL] -- CONSOLE_SCRIPT ARGS...

A test "waits an hour" by shifting the emulator's clock (`POST /_emulator/clock`). The
provider decides renewal by its own clock, so it must see the same hour pass. This reads the
emulator's shift once, as the provider starts (the engine starts providers anew for every
`pulumi up`, every `tofu plan`), moves `github_app_token.clock.now` by it in this process
only, and runs the target here: `-m MODULE`, or the name of an installed console script
(any face: `pulumi-resource-github-app-token`, `terraform-provider-githubapp`, ...).

Never a switch that could move a real stack's clock: nothing in the runtime reads it, and it
acts only when started this way, with an emulator URL (`--emulator`, else
GITHUB_APP_TOKEN_EMULATOR_URL) on loopback that answers as the emulator. Anything else stops
it before the provider starts. It is the one module of the emulator that imports the runtime,
and only its clock (tests/test_architecture.py).
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import runpy
import sys
import urllib.request
from collections.abc import Callable
from importlib import metadata
from urllib.parse import urlsplit

ENV = "GITHUB_APP_TOKEN_EMULATOR_URL"
PROG = "python -m github_app_emulator.follow"
USAGE = f"usage: {PROG} [--emulator URL] -- (-m MODULE | CONSOLE_SCRIPT) [ARGS...]"
CLOCK_ROUTE = "/_emulator/clock"
# The emulator refuses shifts beyond 50 years (clock.MAX_OFFSET); so does this.
MAX_SHIFT = 50 * 365 * 86400


class Refused(Exception):
    """Why the provider was not started: a one-line message, no value quoted."""


def is_loopback(host: str | None) -> bool:
    host = (host or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """`url` without a trailing slash, if it is a plain http(s) URL of a loopback host."""
    try:
        parts = urlsplit(url.strip())
        plain = (
            parts.scheme in ("http", "https")
            and is_loopback(parts.hostname)
            and (parts.port is None or parts.port > 0)  # .port raises ValueError if no port
            and parts.username is None
            and not parts.query
            and not parts.fragment
        )
    except ValueError:
        plain = False
    if not plain:
        raise Refused(
            "the emulator URL must be a loopback base URL such as http://127.0.0.1:PORT "
            "(its JSON line's base_url): this launcher never follows another server's clock"
        )
    return url.strip().rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is then an error: the clock is read where the URL says, only


def emulator_shift(url: str, timeout: float = 10.0) -> float:
    """Seconds the emulator at `url` is ahead of real time (its GET /_emulator/clock)."""
    # No proxy: loopback is reached directly, whatever HTTP_PROXY says; and no redirect.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(check_url(url) + CLOCK_ROUTE, timeout=timeout) as reply:
            shift = json.load(reply)["shift"]
    except (OSError, ValueError, KeyError, TypeError):
        raise Refused(
            f"no emulator answered GET {CLOCK_ROUTE} at the URL given (--emulator or {ENV}); "
            "start it (python -m github_app_emulator) or fix the URL"
        ) from None
    if isinstance(shift, bool) or not isinstance(shift, (int, float)) or not (
        math.isfinite(shift) and abs(shift) <= MAX_SHIFT
    ):
        raise Refused(f"the answer of GET {CLOCK_ROUTE} is not the emulator's; check the URL")
    return float(shift)


def follow(shift: float) -> None:
    """Move the runtime's clock by `shift` seconds, in this process (the one seam it has)."""
    from github_app_token import clock

    real = clock.now
    clock.now = lambda: real() + shift


def _target(argv: list[str]) -> tuple[str, Callable[[], object]]:
    """What to run: `-m MODULE` or a console script's name, as (argv[0], a runner)."""
    if argv[:1] == ["-m"] and len(argv) >= 2:
        module = argv[1]

        def run_module() -> None:
            runpy.run_module(module, run_name="__main__", alter_sys=True)

        return module, run_module
    if not argv or argv[0].startswith("-"):
        raise Refused(f"name what to run after --; {USAGE}")
    found = metadata.entry_points(group="console_scripts", name=argv[0])
    if not found:
        raise Refused("no console script of that name is installed in this Python; "
                      "name one of ours (e.g. pulumi-resource-github-app-token) or use -m")
    entry = next(iter(found))
    return argv[0], lambda: entry.load()()


def _split(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the --emulator URL or None, what follows --)."""
    if "--" not in argv:
        raise Refused(USAGE)
    cut = argv.index("--")
    options, target = argv[:cut], argv[cut + 1 :]
    if not options:
        return None, target
    if len(options) == 2 and options[0] == "--emulator":
        return options[1], target
    raise Refused(USAGE)


def main(argv: list[str] | None = None) -> object:
    argv = sys.argv[1:] if argv is None else argv
    try:
        url, target = _split(argv)
        url = url or os.environ.get(ENV)
        if not url:
            raise Refused(f"give the emulator's base URL: --emulator URL, or {ENV}")
        name, run = _target(target)
        follow(emulator_shift(url))
    except Refused as refused:
        print(f"{PROG}: error: {refused}", file=sys.stderr)
        return 2
    sys.argv = [name, *target[2 if target[0] == "-m" else 1 :]]
    return run()


if __name__ == "__main__":
    sys.exit(main())
