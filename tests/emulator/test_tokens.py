"""POST /app/installations/{id}/access_tokens: minted tokens, their formats and scopes."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import bearer, error_body, mint, new_token, sign, token_auth


def _b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---- token formats ---------------------------------------------------------------------------


def test_stateless_tokens_by_default(gh: Emulator, http_session: requests.Session) -> None:
    assert gh.token_format == "stateless"
    tokens = [new_token(gh, http_session) for _ in range(12)]
    prefix = f"ghs_{gh.app_id}_"
    for token in tokens:
        assert token.startswith(prefix)
        header, claims, signature = token[len(prefix) :].split(".")
        assert _b64url_json(header)["alg"] == "RS256"
        assert _b64url_json(claims)["iid"] == gh.installation_id
        assert len(base64.urlsafe_b64decode(signature + "==")) == 256
        assert 450 <= len(token) <= 600
    assert len({len(t) for t in tokens}) > 1  # lengths vary: nothing may assume one
    listed = http_session.get(
        f"{gh.base_url}/installation/repositories", headers=token_auth(tokens[0])
    )
    assert listed.status_code == 200
    revoked = http_session.delete(f"{gh.base_url}/installation/token", headers=bearer(tokens[1]))
    assert revoked.status_code == 204 and gh.token_state(tokens[1]) == "revoked"


def test_legacy_tokens_under_an_option(http_session: requests.Session) -> None:
    with Emulator(token_format="legacy") as gh:
        token = new_token(gh, http_session)
        assert len(token) == 40 and token.startswith("ghs_") and token[4:].isalnum()
        assert gh.info()["token_format"] == "legacy"
        listed = http_session.get(
            f"{gh.base_url}/installation/repositories", headers=token_auth(token)
        )
        assert listed.status_code == 200


def test_token_format_is_checked() -> None:
    with pytest.raises(ValueError):
        Emulator(token_format="short")  # type: ignore[arg-type]


@pytest.mark.parametrize("tamper", ["drop-last", "add-char", "other-app"])
def test_tokens_are_found_by_exact_value(
    gh: Emulator, http_session: requests.Session, tamper: str
) -> None:
    token = new_token(gh, http_session)
    changed = {
        "drop-last": token[:-1],
        "add-char": token + "A",
        "other-app": token.replace(f"ghs_{gh.app_id}_", f"ghs_{gh.app_id + 1}_", 1),
    }[tamper]
    response = http_session.get(
        f"{gh.base_url}/installation/repositories", headers=token_auth(changed)
    )
    # A stateless token is JWT-shaped, but an unknown one is still just bad credentials.
    assert (response.status_code, response.json()) == (401, error_body("Bad credentials"))


@pytest.mark.parametrize("token_format", ["stateless", "legacy"])
def test_the_log_scrubs_both_formats(http_session: requests.Session, token_format: str) -> None:
    with Emulator(token_format=token_format) as gh:  # type: ignore[arg-type]
        token = new_token(gh, http_session)
        jwt_token = sign(gh)
        mint(gh, http_session, {"permissions": {}, "note": f"see {token}.", "jwt": jwt_token})
        http_session.get(f"{gh.base_url}/nope/{token}?t={token}", headers=token_auth(token))
        exported = http_session.get(f"{gh.base_url}/_emulator/log").text
        logged = repr(gh.requests) + exported
        pieces = [token, token[4:], *token[4:].split("."), jwt_token, *jwt_token.split(".")]
        for piece in pieces:
            assert piece not in logged
        scrubbed = {"permissions": {}, "note": "see [REDACTED]", "jwt": "[REDACTED]"}
        assert gh.requests[1].body == scrubbed
