"""RSA key material for emulated apps: generated at run time, never stored in the repo."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate() -> rsa.RSAPrivateKey:
    # GitHub hands out 2048-bit RSA keys; generating one takes a few tens of milliseconds.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def to_pem(key: rsa.RSAPrivateKey, *, pkcs8: bool) -> str:
    """PKCS#1 (`BEGIN RSA PRIVATE KEY`, what GitHub downloads) or PKCS#8 (`BEGIN PRIVATE KEY`)."""
    fmt = (
        serialization.PrivateFormat.PKCS8
        if pkcs8
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode(
        "ascii"
    )


def load_private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """SHA-256 of the SubjectPublicKeyInfo: identifies a key whatever PEM flavour it came in."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def load_or_create(path: str | os.PathLike[str]) -> rsa.RSAPrivateKey:
    """The key in `path`; made and written there (mode 0600) if the file does not exist.

    Errors name the file's role, never its content (it is a private key).
    """
    try:
        return _load_file(path)
    except FileNotFoundError:
        pass
    private = generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another emulator made it just now: use theirs
        return _load_file(path)
    except OSError as exc:
        raise ValueError(
            f"the key file could not be created ({exc.strerror}); check its folder"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(to_pem(private, pkcs8=False))
    return private


def _load_file(path: str | os.PathLike[str]) -> rsa.RSAPrivateKey:
    try:
        pem = Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not ASCII text"
        raise ValueError(f"the key file could not be read ({reason}); check its path") from None
    try:
        return load_private(pem)
    except (ValueError, TypeError):
        raise ValueError(
            "the key file does not hold an RSA private key in PEM (PKCS#1 or PKCS#8); "
            "give another path, or delete it to have a new key made"
        ) from None
