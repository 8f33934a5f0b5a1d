"""Keys made at run time, and the byte search that proves a secret did not leak."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_rsa_pem(pkcs8: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    formats = serialization.PrivateFormat
    fmt = formats.PKCS8 if pkcs8 else formats.TraditionalOpenSSL
    return key.private_bytes(
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode("ascii")


def secret_lines(*secrets: str) -> list[str]:
    """Every non-trivial line of each secret: what must never show up anywhere."""
    return [line for s in secrets for line in s.splitlines() if len(line.strip()) > 16
            and "-----" not in line]


def assert_no_secret(text: str | bytes, *secrets: str) -> None:
    haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    for needle in [*secrets, *secret_lines(*secrets)]:
        assert needle not in haystack, "a secret leaked"
