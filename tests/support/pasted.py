"""Secrets a user might paste into the wrong input, made at run time (nothing secret-shaped is
committed): a GitHub token, an app JWT and a private key."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

import jwt

from .secrets import new_rsa_pem


@dataclass(frozen=True)
class Pasted:
    token: str
    """An installation token, as GitHub prints it: `ghs_` and 36 letters and digits."""
    jwt: str
    """An app JWT, signed RS256 with `key`."""
    key: str
    """A PEM private key."""

    @property
    def all(self) -> tuple[str, str, str]:
        return self.token, self.jwt, self.key


def pasted() -> Pasted:
    alphabet = string.ascii_letters + string.digits
    key = new_rsa_pem()
    return Pasted(
        token="ghs" + "_" + "".join(secrets.choice(alphabet) for _ in range(36)),
        jwt=jwt.encode({"iss": "123", "iat": 0, "exp": 600}, key, algorithm="RS256"),
        key=key,
    )
