"""RSA key material for emulated apps: generated at run time, never stored in the repo."""

from __future__ import annotations

import hashlib

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
