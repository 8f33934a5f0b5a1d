"""Run Pulumi's dynamic-provider server on the emulator's clock (demo and e2e tests only).

The demo and the end-to-end tests "wait an hour" by shifting the emulator's clock.
The provider decides renewal by its own clock, so it must move too. A launcher runs

    python -u scripts/timewarp.py ARGS...      # instead of python -u -m pulumi.dynamic ARGS...

which reads the shift from the emulator at GITHUB_APP_TOKEN_EMULATOR_URL and moves
`github_app_token.clock.now` by it. Only that seam moves: gRPC keeps the real time.
"""

from __future__ import annotations

import json
import os
import runpy
import urllib.request

ENV = "GITHUB_APP_TOKEN_EMULATOR_URL"


def emulator_shift(base_url: str) -> float:
    """Seconds the emulator's clock is ahead of this machine's."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/_emulator/clock", timeout=10) as reply:
        return float(json.load(reply)["shift"])


def main() -> None:
    url = os.environ.get(ENV)
    shift = emulator_shift(url) if url else 0.0
    if shift:
        from github_app_token import clock

        real = clock.now
        clock.now = lambda: real() + shift
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
