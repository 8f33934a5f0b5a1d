"""Load: one `pulumi up --parallel 32` of 200 tokens while GitHub rate-limits (backoff)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ..support.cli_project import Project
from ..support.ledger import assert_ledger

pytestmark = pytest.mark.e2e
COUNT = 200


@pytest.fixture
def project(e2e_env, tmp_path) -> Iterator[Project]:
    proj = Project(e2e_env, tmp_path, name="load")
    yield proj
    proj.kill_all()


def limited(gh) -> int:
    return sum(r.status in (403, 429) for r in gh.requests if r.method == "POST")


def minted(gh) -> int:
    return sum(r.status == 201 for r in gh.requests if r.method == "POST")


def rate_limit_pulses(gh, stop: threading.Event) -> None:
    """Rate-limit the next mint once the last limit was answered and 4 mints went through.

    Secondary limits (Retry-After: 1, 403 and 429 in turn), every fifth a primary one.
    GitHub's answer to a burst; a queue of them would outlast any retry budget.
    """
    tick = 0
    while not stop.is_set():
        if tick % 5 == 4:
            gh.inject("primary", retry_after=1, path="/access_tokens")
        else:
            gh.inject("secondary", retry_after=1, path="/access_tokens",
                      status=429 if tick % 2 else 403)
        tick += 1
        while limited(gh) < tick and not stop.wait(0.02):
            pass
        target = minted(gh) + 4
        while minted(gh) < target and not stop.wait(0.02):
            pass


def test_200_tokens_at_parallel_32_under_rate_limits(gh, project: Project) -> None:
    project.init(gh, COUNT)
    stop = threading.Event()
    pulses = threading.Thread(target=rate_limit_pulses, args=(gh, stop), daemon=True)
    started = time.monotonic()
    pulses.start()
    try:
        project.cli("up", "--yes", "--skip-preview", "--parallel", "32")
    finally:
        stop.set()
        pulses.join()
    elapsed = time.monotonic() - started
    gh.clear_faults()
    statuses = [r.status for r in gh.requests if r.method == "POST"]
    waited = limited(gh)
    print(f"\n{COUNT} tokens, --parallel 32: {elapsed:.1f} s wall, "
          f"{waited} rate-limited answers waited out")
    assert statuses.count(201) == COUNT and waited >= 5
    held = project.tokens()
    assert len(held) == COUNT
    assert_ledger(gh, held.values())
