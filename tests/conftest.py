"""Shared fixtures: keys generated at run time, and the GitHub emulator on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from github_app_token.emulator import Emulator

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GITHUB_REST_DIR", REPO.parent / "shared" / "github-rest"))


def new_rsa_pem(pkcs8: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    formats = serialization.PrivateFormat
    fmt = formats.PKCS8 if pkcs8 else formats.TraditionalOpenSSL
    return key.private_bytes(
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode("ascii")


@pytest.fixture(scope="session")
def foreign_pem() -> str:
    """A valid RSA key that no emulated app has registered."""
    return new_rsa_pem()


@pytest.fixture
def gh() -> Iterator[Emulator]:
    from github_app_token.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


def secret_lines(*secrets: str) -> list[str]:
    """Every non-trivial line of each secret: what must never show up anywhere."""
    return [line for s in secrets for line in s.splitlines() if len(line.strip()) > 16
            and "-----" not in line]


def assert_no_secret(text: str | bytes, *secrets: str) -> None:
    haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    for needle in [*secrets, *secret_lines(*secrets)]:
        assert needle not in haystack, "a secret leaked"


@pytest.fixture(autouse=True)
def _fresh_clock_offsets() -> Iterator[None]:
    """Emulator ports get reused; a skew learned for one must not leak into the next test."""
    from github_app_token import client

    yield
    client._offsets.clear()
