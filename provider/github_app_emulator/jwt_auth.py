"""Checks an app's JWT the way GitHub does, against the emulator clock.

Rules and texts: docs/github-behaviour.md §1 and §4.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import jwt

from .errors import (
    MSG_INTEGRATION_NOT_FOUND,
    MSG_ISS_MISSING,
    MSG_ISS_NOT_INTEGER,
    MSG_JWT_EXPIRED,
    MSG_JWT_IAT,
    MSG_JWT_TOO_FAR,
    MSG_JWT_UNDECODABLE,
    MSG_NO_PUBLIC_KEY,
    ApiError,
    unauthorized,
)
from .model import App
from .wire import parse_id, parse_json, too_deep

# DOCS-JWT: "no more than 10 minutes into the future".
MAX_EXP_AHEAD = 600
# Our choice (GitHub states none): tolerate 5 s of skew/latency on both `exp` and `iat`, so a
# client signing exp = now + 600 on a clock a moment ahead is still accepted.
EXP_LEEWAY = 5
IAT_LEEWAY = 5

_JWS = jwt.PyJWS()


# Prefixes of GitHub's own tokens: such a credential is never an app's JWT, even when (like a
# stateless installation token, `ghs_<app id>_<JWT>`) it has three dot-separated parts.
_TOKEN_PREFIXES = ("ghs_", "ghp_", "gho_", "ghu_", "ghr_", "github_pat_")


def looks_like_jwt(credential: str) -> bool:
    # JWS compact form has exactly three dot-separated parts.
    return credential.count(".") == 2 and not credential.startswith(_TOKEN_PREFIXES)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _header_too_deep(raw: str) -> bool:
    # PyJWT parses the header itself, with no bound on its nesting.
    segment = raw.split(".", 1)[0]
    try:
        return too_deep(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:
        return False  # not base64: PyJWT refuses it


def _claims(raw: str) -> dict[str, Any]:
    if _header_too_deep(raw):
        raise unauthorized(MSG_JWT_UNDECODABLE)
    try:
        unverified = _JWS.decode_complete(raw, options={"verify_signature": False})
        claims = parse_json(unverified["payload"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise unauthorized(MSG_JWT_UNDECODABLE) from exc
    if not isinstance(claims, dict):
        raise unauthorized(MSG_JWT_UNDECODABLE)
    return claims


def _issuer(claims: Mapping[str, Any], apps: Mapping[int, App]) -> App:
    iss = claims.get("iss")
    if iss is None:
        raise unauthorized(MSG_ISS_MISSING)
    # DOCS-JWT: iss is the app id (number or digit string) or the app's client id.
    if isinstance(iss, str) and not (iss.isascii() and iss.isdigit()):
        for app in apps.values():
            if app.client_id == iss:
                return app
        raise unauthorized(MSG_ISS_NOT_INTEGER)
    if isinstance(iss, bool) or not isinstance(iss, (int, str)):
        raise unauthorized(MSG_ISS_NOT_INTEGER)
    # A digit string too long for any app id (or for int()) names no app.
    app = apps.get(iss) if isinstance(iss, int) else apps.get(parse_id(iss) or 0)
    if app is None:
        # docs/github-behaviour.md §1: unknown app id is a 404, not a 401.
        raise ApiError(404, MSG_INTEGRATION_NOT_FOUND)
    return app


def _signed_by(raw: str, app: App) -> bool:
    for key in app.keys:
        try:
            # algorithms=["RS256"] makes PyJWT refuse any other alg (HS256, none, ...).
            _JWS.decode(raw, key=key.public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            continue
        return True
    return False


def verify_app_jwt(raw: str, apps: Mapping[int, App], now: float) -> App:
    """Return the app that signed `raw`, or raise the ApiError GitHub would answer with.

    Order: decode, issuer, signature, then times (expired, too far ahead, issued in the
    future). A clock far ahead trips "too far in the future" before the `iat` check, as
    reported in octokit/auth-app.js#698.
    """
    claims = _claims(raw)
    app = _issuer(claims, apps)
    if not app.keys:
        raise unauthorized(MSG_NO_PUBLIC_KEY)
    # Any registered key of the app may sign (GitHub allows several per app).
    if not _signed_by(raw, app):
        raise unauthorized(MSG_JWT_UNDECODABLE)
    exp = claims.get("exp")
    if not _is_number(exp) or exp <= now:
        raise unauthorized(MSG_JWT_EXPIRED)
    if exp - now > MAX_EXP_AHEAD + EXP_LEEWAY:
        raise unauthorized(MSG_JWT_TOO_FAR)
    iat = claims.get("iat")
    if not _is_number(iat) or iat > now + IAT_LEEWAY:
        raise unauthorized(MSG_JWT_IAT)
    return app
