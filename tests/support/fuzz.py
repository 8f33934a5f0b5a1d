"""Bookkeeping for property-based tests: each call timed, counted, and the count reported.

`attempt` runs one call on one generated input; `report(config)` (from a fixture) adds a
"fuzz" section to pytest's terminal summary and, when FUZZ_REPORT names a file, writes the
counts there as JSON, so figures like "inputs fuzzed" come from a real run.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

LIMIT = 1.0
"""Seconds any one call may take, whatever the input's size."""

TRIED: Counter[str] = Counter()
SLOWEST: dict[str, float] = {}


def attempt(kind: str, call: Callable[..., Any], *args: Any,
            expected: type[BaseException] | tuple[type[BaseException], ...] = ()) -> Any:
    """call(*args), or the `expected` exception it raised; anything else propagates."""
    start = time.perf_counter()
    try:
        result = call(*args)
    except expected as err:
        result = err
    elapsed = time.perf_counter() - start
    TRIED[kind] += 1
    SLOWEST[kind] = max(SLOWEST.get(kind, 0.0), elapsed)
    assert elapsed < LIMIT, f"{kind} took {elapsed:.2f} s on one input"
    return result


class _Summary:
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not TRIED:
            return
        terminalreporter.write_sep("-", f"fuzz: {sum(TRIED.values())} inputs tried")
        for kind, count in sorted(TRIED.items()):
            terminalreporter.write_line(
                f"{kind}: {count} inputs, slowest call {SLOWEST[kind] * 1000:.1f} ms")
        if path := os.environ.get("FUZZ_REPORT"):
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"tried": dict(TRIED), "slowest_s": SLOWEST}, handle, indent=2)


def report(config: Any) -> None:
    """Register the terminal-summary section once per session."""
    if not config.pluginmanager.has_plugin("fuzz-summary"):
        config.pluginmanager.register(_Summary(), "fuzz-summary")
