"""The OpenAPI helper (tests/support/openapi.py) can fail: it is not a rubber stamp."""

from __future__ import annotations

import jsonschema
import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import (
    TOKENS,
    bearer,
    sign,
)
from ..support.openapi import validate_response


def test_validate_response_rejects_bodies_the_spec_forbids() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate_response("POST", TOKENS, 201, {"expires_at": "2016-07-11T22:14:10Z"})
    with pytest.raises(jsonschema.ValidationError):  # enum of app-permissions
        validate_response(
            "POST",
            TOKENS,
            201,
            {"token": "t", "expires_at": "x", "permissions": {"contents": "admin"}},
        )
    with pytest.raises(LookupError):
        validate_response("POST", TOKENS, 400, {"message": "Problems parsing JSON"})
    with pytest.raises(jsonschema.ValidationError):
        validate_response("DELETE", "/installation/token", 204, {"unexpected": True})


def test_validate_response_turns_nullable_into_null_unions(
    gh: Emulator, http_session: requests.Session
) -> None:
    url = f"{gh.base_url}/app/installations/{gh.installation_id}"
    body = http_session.get(url, headers=bearer(sign(gh))).json()
    assert body["suspended_at"] is None and body["suspended_by"] is None
    validate_response("GET", "/app/installations/{installation_id}", 200, body)
    with pytest.raises(jsonschema.ValidationError):
        validate_response(
            "GET", "/app/installations/{installation_id}", 200, {**body, "suspended_at": 12}
        )
