"""Talking to the emulator the way a GitHub App client would, without the package's own client.

JWTs are signed here with PyJWT directly, so a bug shared by our client and the emulator cannot
hide.
"""

from __future__ import annotations

import calendar
import functools
import json
import time
from typing import TYPE_CHECKING, Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization

if TYPE_CHECKING:
    from github_app_emulator import Emulator

REST = "https://docs.github.com/rest"
CREATE_DOCS = (
    "https://docs.github.com/rest/reference/apps#create-an-installation-access-token-for-an-app"
)
REPO_INSTALLATION_DOCS = (
    "https://docs.github.com/rest/reference/apps"
    "#get-a-repository-installation-for-the-authenticated-app"
)
TOKENS = "/app/installations/{installation_id}/access_tokens"


def sign(
    gh: Emulator,
    *,
    pem: str | None = None,
    iss: Any = "app",
    iat: float = -60,
    exp: float = 540,
    algorithm: str = "RS256",
    drop: tuple[str, ...] = (),
) -> str:
    """A JWT like a GitHub App client makes; times are offsets from the emulator clock."""
    now = int(gh.now())
    claims: dict[str, Any] = {"iat": now + iat, "exp": now + exp, "iss": str(gh.app_id)}
    if iss != "app":
        claims["iss"] = iss
    for name in drop:
        claims.pop(name)
    key: Any = private_key(pem or gh.private_key_pem)
    if algorithm.startswith("HS"):
        key = "a-shared-secret-that-is-long-enough-for-hs256"
    elif algorithm == "none":
        key = None
    # PyJWS signs raw claims: PyJWT's encode() refuses a numeric `iss`, which GitHub accepts.
    return jwt.PyJWS().encode(json.dumps(claims).encode(), key, algorithm=algorithm)


@functools.lru_cache(maxsize=64)
def private_key(pem: str) -> Any:
    # Loading a PEM validates the RSA key (~30 ms); cache it so signing stays cheap.
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def token_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def mint(
    gh: Emulator, session: requests.Session, body: Any = None, **kwargs: Any
) -> requests.Response:
    """POST access_tokens; `installation_id` and `jwt_token` override the defaults."""
    installation_id = kwargs.pop("installation_id", gh.installation_id)
    url = f"{gh.base_url}/app/installations/{installation_id}/access_tokens"
    headers = bearer(kwargs.pop("jwt_token", None) or sign(gh))
    if isinstance(body, (bytes, str)):
        return session.post(url, data=body, headers=headers, **kwargs)
    return session.post(url, json=body, headers=headers, **kwargs)


def new_token(gh: Emulator, session: requests.Session, body: Any = None, **kwargs: Any) -> str:
    response = mint(gh, session, body, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def error_body(message: str, docs: str = REST, **extra: str) -> dict[str, str]:
    return {"message": message, "documentation_url": docs, **extra}


def epoch(rfc3339: str) -> int:
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def host_port(gh: Emulator) -> tuple[str, int]:
    host, port = gh.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)

# GitHub's texts, written out here independently of the emulator's own copies.
MSG_EXP = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time "
    "at which the assertion expires"
)
MSG_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_IAT = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
    "was issued"
)
MSG_UNDECODABLE = "A JSON web token could not be decoded"
MSG_NOT_GRANTED = "The permissions requested are not granted to this installation."
MSG_NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the "
    "parent installation."
)
