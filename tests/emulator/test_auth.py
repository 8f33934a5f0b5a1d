"""Credentials: app JWTs checked against the emulator clock, installation tokens, wrong kinds."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

import jwt
import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import (
    MSG_EXP,
    MSG_IAT,
    MSG_TOO_FAR,
    MSG_UNDECODABLE,
    bearer,
    error_body,
    new_token,
    private_key,
    sign,
    token_auth,
)


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"drop": ("iss",)}, 401, "Missing 'issuer' claim ('iss') in assertion"),
        ({"iss": "my-app"}, 401, "'Issuer' claim ('iss') must be an Integer"),
        ({"iss": "Iv1.0123456789abcdef"}, 401, "'Issuer' claim ('iss') must be an Integer"),
        ({"iss": 99999}, 404, "Integration not found"),
        ({"iss": "99999"}, 404, "Integration not found"),
        ({"pem": "foreign"}, 401, MSG_UNDECODABLE),
        ({"algorithm": "none"}, 401, MSG_UNDECODABLE),
        ({"algorithm": "HS256"}, 401, MSG_UNDECODABLE),
        ({"exp": -1, "iat": -120}, 401, MSG_EXP),
        ({"drop": ("exp",)}, 401, MSG_EXP),
        ({"exp": 700}, 401, MSG_TOO_FAR),
        ({"iat": 60}, 401, MSG_IAT),
        ({"drop": ("iat",)}, 401, MSG_IAT),
    ],
)
@pytest.mark.parametrize("path", ["/app", "/app/installations/456/access_tokens"])
def test_jwt_rejections(
    gh: Emulator,
    http_session: requests.Session,
    kwargs: dict[str, Any],
    status: int,
    message: str,
    path: str,
    foreign_pem: str,
) -> None:
    if kwargs.get("pem") == "foreign":
        kwargs = {**kwargs, "pem": foreign_pem}
    method = "POST" if path.endswith("access_tokens") else "GET"
    response = http_session.request(method, gh.base_url + path, headers=bearer(sign(gh, **kwargs)))
    assert response.status_code == status
    assert response.json() == error_body(message)
    assert parsedate_to_datetime(response.headers["Date"])  # clients use it to measure skew


@pytest.mark.parametrize(
    "garbage", ["a.b.c", "eyJhbGciOiJSUzI1" + "NiJ9.bm90IGpzb24.c2ln", "x.y.z"]
)
def test_garbage_jwt(gh: Emulator, http_session: requests.Session, garbage: str) -> None:
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(garbage))
    assert (response.status_code, response.json()) == (401, error_body(MSG_UNDECODABLE))


def test_jwt_time_limits_and_issuer_forms(gh: Emulator, http_session: requests.Session) -> None:
    url = f"{gh.base_url}/app"
    for kwargs in (
        {"exp": 600, "iat": 0},
        {"iss": gh.client_id},
        {"iss": str(gh.app_id)},
        {"iss": gh.app_id},
    ):
        response = http_session.get(url, headers=bearer(sign(gh, **kwargs)))
        assert response.status_code == 200, (kwargs, response.text)
    # the `token` scheme is accepted for JWTs too
    assert http_session.get(url, headers=token_auth(sign(gh))).status_code == 200
    assert new_token(gh, http_session, jwt_token=sign(gh, iss=gh.client_id))


def test_several_keys_per_app(gh: Emulator, http_session: requests.Session) -> None:
    second = gh.add_key()
    pkcs8, pkcs1 = "PRIVATE KEY", "RSA PRIVATE KEY"  # no key-shaped literals in the repository
    assert second.startswith(f"-----BEGIN {pkcs8}-----")
    assert gh.private_key_pem.startswith(f"-----BEGIN {pkcs1}-----")
    url = f"{gh.base_url}/app"
    assert http_session.get(url, headers=bearer(sign(gh, pem=second))).status_code == 200
    assert http_session.get(url, headers=bearer(sign(gh))).status_code == 200
    gh.remove_key(second)
    removed = http_session.get(url, headers=bearer(sign(gh, pem=second)))
    assert (removed.status_code, removed.json()["message"]) == (401, MSG_UNDECODABLE)
    assert http_session.get(url, headers=bearer(sign(gh))).status_code == 200
    with pytest.raises(ValueError):
        gh.remove_key(second)
    gh.remove_key(gh.private_key_pem)  # no key left at all
    none_left = http_session.get(url, headers=bearer(sign(gh)))
    assert (none_left.status_code, none_left.json()["message"]) == (
        401,
        "Integration must generate a public key",
    )


@pytest.mark.parametrize(
    ("method", "path", "credential", "message"),
    [
        ("GET", "/installation/repositories", None, "Requires authentication"),
        ("GET", "/installation/repositories", "token ghs_" + "a" * 36, "Bad credentials"),
        ("GET", "/installation/repositories", "Basic dXNlcjpwYXNz", "Bad credentials"),
        ("DELETE", "/installation/token", "jwt", "Bad credentials"),  # JWT where a token is needed
        ("GET", "/app", "installation-token", MSG_UNDECODABLE),  # token where a JWT is needed
        ("POST", "/app/installations/456/access_tokens", "installation-token", MSG_UNDECODABLE),
        ("GET", "/app", None, "Requires authentication"),
    ],
)
def test_wrong_or_missing_credentials(
    gh: Emulator,
    http_session: requests.Session,
    method: str,
    path: str,
    credential: str | None,
    message: str,
) -> None:
    headers: dict[str, str] = {}
    if credential == "jwt":
        headers = bearer(sign(gh))
    elif credential == "installation-token":
        headers = token_auth(new_token(gh, http_session))
    elif credential:
        headers = {"Authorization": credential}
    response = http_session.request(method, gh.base_url + path, headers=headers)
    assert response.status_code == 401
    assert response.json() == error_body(message)


def test_shift_clock_moves_date_and_jwt_checks(
    gh: Emulator, http_session: requests.Session
) -> None:
    signed_now = sign(gh)
    before = gh.now()
    gh.shift_clock(3600)
    gh.shift_clock(600)  # cumulative
    assert gh.now() - before == pytest.approx(4200, abs=2)
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(signed_now))
    assert (response.status_code, response.json()["message"]) == (401, MSG_EXP)
    date = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert date == pytest.approx(time.time() + 4200, abs=3)
    gh.shift_clock(-4200 - 600)  # emulator now 10 min behind real time
    real_now = int(time.time())
    ahead = jwt.encode(
        {"iat": real_now - 60, "exp": real_now + 540, "iss": str(gh.app_id)},
        private_key(gh.private_key_pem),
        algorithm="RS256",
    )
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(ahead))
    assert (response.status_code, response.json()["message"]) == (401, MSG_TOO_FAR)


def test_token_expires_with_the_clock(gh: Emulator, http_session: requests.Session) -> None:
    token = new_token(gh, http_session)
    url = f"{gh.base_url}/installation/repositories"
    assert http_session.get(url, headers=token_auth(token)).status_code == 200
    gh.shift_clock(3590)
    assert gh.token_state(token) == "live"
    gh.shift_clock(15)
    assert gh.token_state(token) == "expired"
    assert gh.live_tokens() == []
    response = http_session.get(url, headers=token_auth(token))
    assert (response.status_code, response.json()) == (401, error_body("Bad credentials"))
    revoke = http_session.delete(f"{gh.base_url}/installation/token", headers=token_auth(token))
    assert revoke.status_code == 401  # docs/github-behaviour.md §3: a 401 for an expired one too
