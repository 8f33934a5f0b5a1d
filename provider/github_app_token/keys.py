"""Private-key handling: repair pasted PEM text, parse it, fingerprint it."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

PROPERTY = "private_key"
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)


def normalize_pem(text: str) -> str:
    """Canonical PEM text from what CI secrets tend to hold.

    Tolerates surrounding whitespace, CRLF, literal `\\n` escapes and bodies whose
    line breaks became spaces.
    """
    text = text.replace("\\r", "").replace("\\n", "\n")
    match = _PEM.search(text)
    if match is None:
        raise ConfigError(
            PROPERTY,
            "is not PEM text: expected a 'BEGIN RSA PRIVATE KEY' or 'BEGIN PRIVATE KEY' "
            "block; download a private key from the GitHub App's settings page and pass the "
            "file's contents",
        )
    label, body = match.group(1), re.sub(r"\s+", "", match.group(2))
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


@lru_cache(maxsize=64)
def load_private_key(text: str) -> RSAPrivateKey:
    """Parse a PKCS#1 or PKCS#8 RSA private key, raising ConfigError naming `private_key`."""
    pem = normalize_pem(text)
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except TypeError:
        raise ConfigError(
            PROPERTY, "is encrypted with a passphrase; GitHub App keys are not, so pass the "
            "unencrypted key GitHub generated"
        ) from None
    except (ValueError, UnicodeEncodeError):
        # `from None`: the parser's own message adds nothing and must not echo key material.
        raise ConfigError(
            PROPERTY, "could not be parsed as an RSA private key (PKCS#1 or PKCS#8); check that "
            "the whole PEM block was copied"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(
            PROPERTY, f"is a {type(key).__name__.lstrip('_')}, but GitHub Apps sign with RSA keys"
        )
    return key


def fingerprint(key: RSAPrivateKey) -> str:
    """GitHub's `SHA256:<base64>` fingerprint of the key's public half."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
