"""Shared fixtures: keys generated at run time, and the GitHub emulator on loopback."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def _fast_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's registry, fresh per test and with short backoff: no test waits in
    production backoff, and no Session or clock offset outlives its emulator."""
    from github_app_token import registry
    from github_app_token.retry import policy

    monkeypatch.setattr(registry, "default", registry.Registry(retry=policy(backoff_factor=0.02)))
