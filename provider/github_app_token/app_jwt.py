"""The app's JSON Web Token: claims, RS256 signing through PyJWT, and reuse."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import jwt

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

JWT_BACKDATE = 60
"""Seconds `iat` is set in the past, as GitHub recommends against clock drift."""
JWT_TTL = 540
"""Seconds until `exp`; GitHub refuses more than 600, and `iat` is already 60 s back."""
JWT_REUSE_MARGIN = 60
"""A cached JWT is re-signed once fewer than this many seconds of it remain."""


def build_claims(issuer: int | str, now: float) -> dict[str, int | str]:
    """Claims for `issuer` (app id or client id) at GitHub time `now`."""
    issued = int(now)
    # A digit string: GitHub accepts it for app ids, and PyJWT >= 2.10 refuses non-string `iss`.
    return {"iat": issued - JWT_BACKDATE, "exp": issued + JWT_TTL, "iss": str(issuer)}


def sign(issuer: int | str, key: RSAPrivateKey, now: float) -> str:
    """A fresh RS256 JWT for `issuer` at GitHub time `now`."""
    return jwt.encode(build_claims(issuer, now), key, algorithm="RS256")


class JwtCache:
    """Signed JWTs by (issuer, key fingerprint, base URL), reused until near expiry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[int | str, str, str], tuple[str, int]] = {}

    def get(
        self, issuer: int | str, key: RSAPrivateKey, fingerprint: str, base_url: str, now: float
    ) -> str:
        cache_key = (issuer, fingerprint, base_url)
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is not None and entry[1] - now > JWT_REUSE_MARGIN:
                return entry[0]
            claims = build_claims(issuer, now)
            token = jwt.encode(claims, key, algorithm="RS256")
            self._entries[cache_key] = (token, int(claims["exp"]))
            return token

    def forget(self, base_url: str) -> None:
        """Drop every JWT for `base_url`, e.g. after learning GitHub's clock differs."""
        with self._lock:
            for cache_key in [k for k in self._entries if k[2] == base_url]:
                del self._entries[cache_key]

    def __repr__(self) -> str:
        return f"<JwtCache entries={len(self._entries)}>"
