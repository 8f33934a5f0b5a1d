"""The text of a freshly minted installation token, in either of GitHub's two formats.

docs/github-behaviour.md §2: since 2026 github.com mints stateless tokens `ghs_<app id>_<JWT>`
of about 520 characters and variable length; GHES still mints the legacy `ghs_` + 36
alphanumerics. Clients must treat both as opaque: the emulator finds a token by its exact text.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from typing import Literal

TokenFormat = Literal["stateless", "legacy"]
FORMATS: tuple[TokenFormat, ...] = ("stateless", "legacy")
_ALPHANUMERIC = string.ascii_letters + string.digits


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _stateless(app_id: int, installation_id: int, issued_at: int, expires_at: int) -> str:
    # A real-looking RS256 JWT of random claims; nothing verifies it, the emulator looks tokens
    # up by value. The random-length `jti` makes lengths vary, as GitHub's do.
    header = {"alg": "RS256", "typ": "JWT", "kid": secrets.token_hex(4)}
    claims = {
        "iss": "github.com",
        "aid": app_id,
        "iid": installation_id,
        "iat": issued_at,
        "exp": expires_at,
        "jti": secrets.token_urlsafe(secrets.choice(range(12, 40))),
    }
    parts = (
        _b64url(json.dumps(header, separators=(",", ":")).encode()),
        _b64url(json.dumps(claims, separators=(",", ":")).encode()),
        _b64url(secrets.token_bytes(256)),  # the size of an RS256 signature
    )
    return f"ghs_{app_id}_" + ".".join(parts)


def new_token(
    token_format: TokenFormat, app_id: int, installation_id: int, issued_at: int, expires_at: int
) -> str:
    if token_format == "legacy":
        return "ghs_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(36))
    return _stateless(app_id, installation_id, issued_at, expires_at)


def check_format(value: object) -> TokenFormat:
    if value not in FORMATS:
        raise ValueError(f"token_format must be one of {', '.join(FORMATS)}")
    return value  # type: ignore[return-value]
