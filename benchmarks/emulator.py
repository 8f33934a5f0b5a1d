"""The emulator in its own process, so its request handling never competes for our GIL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

STEADY = 10**9
"""A delay fault this many requests long is a steady added latency."""


class EmulatorProcess:
    """`python -m github_app_emulator` on loopback, steered through its /_emulator routes."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "github_app_emulator", "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._proc.kill()
            raise RuntimeError("the emulator did not start")
        self.info: dict[str, Any] = json.loads(line)
        self.base_url: str = self.info["base_url"]
        self.app_id: int = self.info["app_id"]
        self.installation_id: int = self.info["installation_id"]
        self.private_key_pem = Path(self.info["private_key_path"]).read_text(encoding="ascii")

    def _control(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{route}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def set_latency(self, seconds: float) -> None:
        """Every GitHub request waits `seconds` before it is answered (0: none)."""
        self._control("DELETE", "faults")
        if seconds > 0:
            self._control("POST", "faults", {"kind": "delay", "count": STEADY, "delay": seconds})

    def request_count(self) -> int:
        """GitHub requests seen since the last `clear_log` (control routes are never logged)."""
        return len(self._control("GET", "log"))

    def clear_log(self) -> None:
        self._control("DELETE", "log")

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def pythonpath_env() -> dict[str, str]:
    """The environment with this checkout's `provider/` importable (also without install)."""
    root = Path(__file__).resolve().parent.parent
    extra = str(root / "provider")
    current = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{extra}{os.pathsep}{current}" if current else extra}
