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
    """One client's signed JWT, reused until near expiry; safe across threads."""

    def __init__(self, issuer: int | str, key: RSAPrivateKey) -> None:
        self._issuer = issuer
        self._key = key
        self._lock = threading.Lock()
        self._entry: tuple[str, int, int] | None = None
        """(JWT, iat, exp)."""

    def get(self, now: float) -> str:
        """A JWT valid at GitHub time `now`, signed afresh when the cached one is near expiry."""
        with self._lock:
            if self._entry is not None:
                token, issued, expires = self._entry
                # Not when GitHub's clock moved back past `iat`: it would refuse the JWT.
                if issued <= now and expires - now > JWT_REUSE_MARGIN:
                    return token
            claims = build_claims(self._issuer, now)
            token = sign(self._issuer, self._key, now)
            self._entry = (token, int(claims["iat"]), int(claims["exp"]))
            return token

    def forget(self) -> None:
        """Drop the cached JWT, e.g. after learning GitHub's clock differs."""
        with self._lock:
            self._entry = None

    def __repr__(self) -> str:
        return f"<JwtCache issuer={self._issuer!r} cached={self._entry is not None}>"
