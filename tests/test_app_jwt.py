from __future__ import annotations

import jwt

from github_app_token.app_jwt import JWT_BACKDATE, JWT_TTL, JwtCache, build_claims, sign
from github_app_token.keys import load_private_key

from .support.secrets import new_rsa_pem

PEM = new_rsa_pem()
KEY = load_private_key(PEM)
NOW = 1_800_000_000.0


def test_claims_follow_githubs_advice() -> None:
    assert build_claims(123, NOW) == {"iat": int(NOW) - 60, "exp": int(NOW) + 540, "iss": "123"}
    assert JWT_BACKDATE + JWT_TTL <= 600


def test_signature_is_rs256_with_the_apps_key() -> None:
    token = sign("Iv1.abc", KEY, NOW)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, KEY.public_key(), algorithms=["RS256"],
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == "Iv1.abc"


def test_cache_reuses_until_a_minute_before_expiry() -> None:
    cache = JwtCache(123, KEY)
    first = cache.get(NOW)
    assert cache.get(NOW + JWT_TTL - 61) is first
    assert cache.get(NOW + JWT_TTL - 59) is not first


def test_cache_re_signs_when_githubs_clock_moves_back_past_iat() -> None:
    cache = JwtCache(123, KEY)
    first = cache.get(NOW)
    assert cache.get(NOW - JWT_BACKDATE) is first
    assert cache.get(NOW - JWT_BACKDATE - 1) is not first


def test_cache_forgets_and_shows_no_key() -> None:
    cache = JwtCache(123, KEY)
    first = cache.get(NOW)
    cache.forget()
    assert cache.get(NOW) is not first
    assert PEM not in repr(cache)
