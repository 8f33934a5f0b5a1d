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
def _fresh_clock_offsets() -> Iterator[None]:
    """Emulator ports get reused; a skew learned for one must not leak into the next test."""
    from github_app_token import client

    yield
    client._offsets.clear()
