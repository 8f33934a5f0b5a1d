"""Run Pulumi's dynamic-provider server on the emulator's clock.

The demo and the end-to-end tests "wait an hour" by shifting the emulator's clock.
The provider decides renewal by its own clock, so its process must move too:

    python -m github_app_token.emulator.timewarp ARGS...   # instead of python -m pulumi.dynamic

reads the emulator's shift from GITHUB_APP_TOKEN_EMULATOR_URL at start-up and
offsets `time.time` by it. Only the launcher of a demo or test uses this.
"""

from __future__ import annotations

import json
import os
import runpy
import time
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
        real = time.time
        time.time = lambda: real() + shift
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
