"""Shared fixtures: keys generated at run time, and the GitHub emulator on loopback."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .support.secrets import new_rsa_pem

if TYPE_CHECKING:
    from github_app_emulator import Emulator


@pytest.fixture(scope="session")
def foreign_pem() -> str:
    """A valid RSA key that no emulated app has registered."""
    return new_rsa_pem()


@pytest.fixture
def gh() -> Iterator[Emulator]:
    from github_app_emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="session", autouse=True)
def _key_pool() -> Iterator[None]:
    """Emulators reuse a pool of real RSA keys made once per run, in turn.

    Making a 2048-bit key costs ~50 ms, and every new key costs the client a full RSA
    validation: per test, that was most of the suite's time. Keys rotate through 64, so one
    emulator (or two made in a row) never sees the same key twice.
    """
    from github_app_emulator import keys

    real, pool, turn = keys.generate, [], itertools.count()

    def pooled():  # type: ignore[no-untyped-def]
        index = next(turn) % 64
        if index == len(pool):
            pool.append(real())
        return pool[index]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "generate", pooled)
        yield


@pytest.fixture(autouse=True)
def _fast_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's registry, fresh per test and with short backoff: no test waits in
    production backoff, and no Session or clock offset outlives its emulator."""
    from github_app_token import registry
    from github_app_token.retry import policy

    monkeypatch.setattr(registry, "default", registry.Registry(retry=policy(backoff_factor=0.02)))
