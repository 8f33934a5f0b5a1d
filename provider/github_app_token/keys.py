"""Private-key handling: repair pasted PEM text, parse it, fingerprint it."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

PROPERTY = "private_key"
MAX_PEM = 64 * 1024
"""A GitHub App key is about 1.7 KB; anything past this is not one key."""
MAX_BITS = 4096
"""GitHub makes 2048-bit keys; checking a key costs the cube of its size (4096: ~0.25 s)."""
_LABEL = re.compile(r"[A-Z0-9 ]{1,40}")
_ENCRYPTED = ("is encrypted with a passphrase; GitHub App keys are not, so pass the unencrypted "
              "key GitHub generated")
_PASTE_INSTEAD = (
    ", not the app's private key: pass the contents of the .pem file GitHub generated for the "
    "app (its settings page, 'Private keys', 'Generate a private key'), a 'BEGIN RSA PRIVATE "
    "KEY' block"
)
_NOT_A_PRIVATE_KEY = {
    "PUBLIC KEY": "is a public key",
    "RSA PUBLIC KEY": "is a public key",
    "CERTIFICATE": "is a certificate",
    "TRUSTED CERTIFICATE": "is a certificate",
    "CERTIFICATE REQUEST": "is a certificate request",
    "NEW CERTIFICATE REQUEST": "is a certificate request",
    "OPENSSH PRIVATE KEY": "is an OpenSSH key (as ssh-keygen makes)",
}
"""PEM labels of things pasted in a private key's place, and what each is."""
_OPENSSH_PUBLIC = ("ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-")
_NOT_PEM = (
    "is not PEM text: expected a 'BEGIN RSA PRIVATE KEY' or 'BEGIN PRIVATE KEY' block; "
    "download a private key from the GitHub App's settings page and pass the file's contents"
)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(label, body) of the complete PEM blocks among the first few, found with str.find."""
    found, start = [], 0
    for _ in range(8):  # a few BEGIN markers, so a pile of them stays linear
        begin = text.find("-----BEGIN ", start)
        if begin < 0:
            break
        label_end = text.find("-----", begin + 11)
        if label_end < 0:
            break
        label = text[begin + 11 : label_end]
        start = label_end + 5
        end = text.find(f"-----END {label}-----", start) if _LABEL.fullmatch(label) else -1
        if end >= 0:
            found.append((label, text[start:end]))
            start = end
    return found


def _block(text: str) -> tuple[str, str]:
    """The private key's block (a file may also hold certificates), else ConfigError saying
    what was pasted instead."""
    blocks = _blocks(text)
    for label, body in blocks:
        if label.endswith("PRIVATE KEY") and label not in _NOT_A_PRIVATE_KEY:
            return label, body
    if blocks and blocks[0][0] in _NOT_A_PRIVATE_KEY:
        raise ConfigError(PROPERTY, _NOT_A_PRIVATE_KEY[blocks[0][0]] + _PASTE_INSTEAD)
    if not blocks and text.lstrip().startswith(_OPENSSH_PUBLIC):
        raise ConfigError(PROPERTY, "is an OpenSSH public key (a line such as 'ssh-rsa ...')"
                          + _PASTE_INSTEAD)
    if not blocks:
        raise ConfigError(PROPERTY, _NOT_PEM)
    return blocks[0]


def normalize_pem(text: str) -> str:
    """Canonical PEM text from what CI secrets tend to hold.

    Tolerates surrounding whitespace, CRLF, literal `\\n` escapes and bodies whose
    line breaks became spaces.
    """
    if len(text) > MAX_PEM:
        raise ConfigError(PROPERTY, f"is {len(text) // 1024} KiB, but a GitHub App key is about "
                                    f"2 KiB (at most {MAX_PEM // 1024} KiB accepted); pass only "
                                    "the key file's contents")
    label, body = _block(text.replace("\\r", "").replace("\\n", "\n"))
    if "Proc-Type:" in body:
        raise ConfigError(PROPERTY, _ENCRYPTED)
    body = "".join(body.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def _parse(pem: bytes, validate: bool) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(
            pem, password=None, unsafe_skip_rsa_key_validation=not validate
        )
    except TypeError:
        raise ConfigError(PROPERTY, _ENCRYPTED) from None
    except (ValueError, UnsupportedAlgorithm):
        # `from None`: the parser's own message adds nothing and must not echo key material.
        raise ConfigError(
            PROPERTY, "could not be parsed as an RSA private key (PKCS#1 or PKCS#8); check that "
            "the whole PEM block was copied"
        ) from None


@lru_cache(maxsize=64)
def load_private_key(text: str, *, validate: bool = True) -> RSAPrivateKey:
    """Parse a PKCS#1 or PKCS#8 RSA private key, raising ConfigError naming `private_key`.

    `validate=False` skips the RSA consistency proof (35-150 ms a key): enough to check the
    input and read the public half, never to sign with.
    """
    try:
        pem = normalize_pem(text).encode("ascii")
    except UnicodeEncodeError:
        pem = b"-"  # not base64: fails to parse below, with the same words
    # Size first, unchecked (cheap); then the full consistency check, bounded by MAX_BITS.
    key = _parse(pem, validate=False)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(
            PROPERTY, f"is a {type(key).__name__.lstrip('_')}, but GitHub Apps sign with RSA keys"
        )
    if key.key_size > MAX_BITS:
        raise ConfigError(PROPERTY, f"is a {key.key_size}-bit RSA key; GitHub App keys are "
                                    f"2048-bit (at most {MAX_BITS} accepted)")
    return _parse(pem, validate=True) if validate else key  # type: ignore[return-value]


@lru_cache(maxsize=64)
def key_fingerprint(text: str) -> str:
    """`fingerprint` of PEM text without the consistency proof, cached per text (for diff)."""
    return fingerprint(load_private_key(text, validate=False))


def fingerprint(key: RSAPrivateKey) -> str:
    """GitHub's `SHA256:<base64>` fingerprint of the key's public half."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
