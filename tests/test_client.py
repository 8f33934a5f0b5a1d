"""The GitHub App client against the emulator over real HTTP on loopback."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from github_app_token import client as client_module
from github_app_token.client import GitHubAppClient, revoke_token, token_is_live
from github_app_token.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    RateLimitError,
    SuspendedError,
    TransportError,
    ValidationError,
)
from github_app_token.retry import build_session, default_retry

from .support.secrets import assert_no_secret


@pytest.fixture
def fast() -> requests.Session:
    """A session whose backoff is short, so retry tests stay quick."""
    return build_session(default_retry(backoff_factor=0.05, max_wait=5))


def app(gh, session=None, key=None, issuer=None) -> GitHubAppClient:
    return GitHubAppClient(issuer or gh.app_id, key or gh.private_key_pem, gh.base_url,
                           session=session)


def posts(gh) -> list:
    return [r for r in gh.requests if r.method == "POST"]


def test_create_token_sends_only_the_scope_given(gh) -> None:
    token = app(gh).create_token(gh.installation_id, repositories=["infra"],
                                 permissions={"contents": "read"})
    assert gh.token_state(token.token) == "live"
    assert token.permissions == {"contents": "read"}
    assert token.repositories == (f"{gh.account}/infra",)
    assert token.repository_selection == "selected"
    assert token.expires_at.endswith("Z")
    [record] = posts(gh)
    assert record.body == {"repositories": ["infra"], "permissions": {"contents": "read"}}
    assert_no_secret(repr(token), token.token)


def test_unscoped_token_gets_the_installation_scope_and_no_body(gh) -> None:
    token = app(gh).create_token(gh.installation_id)
    assert token.permissions == gh.permissions
    assert token.repositories == ()
    assert posts(gh)[0].body is None


def test_client_id_works_as_issuer(gh) -> None:
    token = app(gh, issuer=gh.client_id).create_token(gh.installation_id)
    assert gh.token_state(token.token) == "live"


def test_every_registered_key_of_the_app_signs(gh) -> None:
    second = gh.add_key()
    token = app(gh, key=second).create_token(gh.installation_id)
    assert gh.token_state(token.token) == "live"


def test_find_installation_by_org_user_and_repository(gh) -> None:
    client = app(gh)
    assert client.find_installation(owner=gh.account).id == gh.installation_id
    assert client.find_installation(owner="OCTOCAT").id == gh.user_installation_id
    paths = [r.path for r in gh.requests][-2:]
    assert paths == ["/orgs/OCTOCAT/installation", "/users/OCTOCAT/installation"]
    assert client.find_installation(repository=f"{gh.account}/infra").id == gh.installation_id
    assert client.get_installation(gh.installation_id).account == gh.account


def test_unknown_owner_says_which_account(gh) -> None:
    with pytest.raises(NotFoundError) as info:
        app(gh).find_installation(owner="nobody-here")
    assert "not installed on account 'nobody-here'" in str(info.value)
    assert info.value.request_id


def test_unknown_installation_says_which(gh) -> None:
    with pytest.raises(NotFoundError, match="has no installation 999999"):
        app(gh).create_token(999999)


def test_foreign_key_says_it_does_not_belong_to_the_app(gh, foreign_pem) -> None:
    with pytest.raises(AuthError) as info:
        app(gh, key=foreign_pem).create_token(gh.installation_id)
    text = str(info.value)
    assert "A JSON web token could not be decoded" in text
    assert f"does not belong to GitHub App {gh.app_id}" in text
    assert info.value.status == 401 and info.value.documentation_url
    assert_no_secret(text, foreign_pem, gh.private_key_pem)


def test_unknown_app_id(gh) -> None:
    with pytest.raises(NotFoundError, match="No GitHub App 987654"):
        app(gh, issuer=987654).create_token(gh.installation_id)


def test_422_carries_githubs_message_and_what_was_asked(gh) -> None:
    with pytest.raises(ValidationError) as info:
        app(gh).create_token(gh.installation_id, permissions={"administration": "write"})
    text = str(info.value)
    assert "The permissions requested are not granted to this installation." in text
    assert "Requested permissions={'administration': 'write'}" in text
    with pytest.raises(ValidationError, match="not accessible to the parent installation"):
        app(gh).create_token(gh.installation_id, repositories=["not-there"])


def test_suspended_installation(gh) -> None:
    with pytest.raises(SuspendedError, match="unsuspend"):
        app(gh).create_token(gh.suspended_installation_id)


@pytest.mark.parametrize("shift", [900.0, -400.0], ids=["github-ahead", "github-behind"])
def test_clock_skew_is_learned_from_the_date_header(gh, shift: float) -> None:
    gh.shift_clock(shift)
    client = app(gh)
    token = client.create_token(gh.installation_id)
    assert gh.token_state(token.token) == "live"
    assert [r.status for r in posts(gh)] == [401, 201]
    assert abs(client_module.clock_offset(gh.base_url) - shift) < 5
    gh.clear_log()
    client.create_token(gh.installation_id)
    assert [r.status for r in posts(gh)] == [201], "the offset is remembered"


def test_server_errors_are_retried(gh, fast) -> None:
    gh.inject("error", count=2, status=502)
    token = app(gh, fast).create_token(gh.installation_id)
    assert gh.token_state(token.token) == "live"
    assert [r.status for r in posts(gh)] == [502, 502, 201]


def test_persistent_server_errors_fail_clearly(gh, fast) -> None:
    gh.inject("error", count=10, status=503)
    with pytest.raises(ApiError) as info:
        app(gh, fast).create_token(gh.installation_id)
    assert info.value.status == 503 and "try again later" in str(info.value)
    assert len(posts(gh)) == 5, "one try and four retries"


def test_connection_resets_are_retried(gh, fast) -> None:
    gh.inject("reset", count=2)
    token = app(gh, fast).create_token(gh.installation_id)
    assert gh.token_state(token.token) == "live"


def test_resets_beyond_the_budget_become_transport_errors(gh, fast) -> None:
    gh.inject("reset", count=10)
    with pytest.raises(TransportError) as info:
        app(gh, fast).create_token(gh.installation_id)
    assert "POST /app/installations" in str(info.value)


def test_every_request_has_a_timeout(gh, fast, monkeypatch) -> None:
    monkeypatch.setattr(client_module, "TIMEOUT", (2.0, 0.5))
    gh.inject("delay", count=1, delay=2.0)
    started = time.monotonic()
    token = app(gh, fast).create_token(gh.installation_id)
    assert time.monotonic() - started < 2.0, "the slow answer was abandoned, not awaited"
    assert gh.token_state(token.token) == "live"


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(gh, fast, status: int) -> None:
    gh.inject("secondary", count=1, status=status, retry_after=1)
    started = time.monotonic()
    app(gh, fast).create_token(gh.installation_id)
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in posts(gh)] == [status, 201]


def test_primary_rate_limit_waits_for_the_reset(gh, fast) -> None:
    gh.inject("primary", count=1, retry_after=1)
    started = time.monotonic()
    app(gh, fast).create_token(gh.installation_id)
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in posts(gh)] == [403, 201]


def test_long_rate_limits_fail_with_advice_instead_of_hanging(gh, fast) -> None:
    gh.inject("secondary", count=1, retry_after=600)
    started = time.monotonic()
    with pytest.raises(RateLimitError, match="wait 600 s"):
        app(gh, fast).create_token(gh.installation_id)
    assert time.monotonic() - started < 5


def test_token_checks_and_revocation(gh) -> None:
    token = app(gh).create_token(gh.installation_id).token
    assert token_is_live(gh.base_url, token)
    revoke_token(gh.base_url, token)
    assert gh.token_state(token) == "revoked"
    assert not token_is_live(gh.base_url, token)
    revoke_token(gh.base_url, token)  # 401: already dead, which is what we wanted


def test_failed_revoke_raises(gh, fast) -> None:
    token = app(gh).create_token(gh.installation_id).token
    gh.inject("error", count=10, status=500)
    with pytest.raises(ApiError):
        revoke_token(gh.base_url, token, session=fast)
    assert gh.token_state(token) == "live"


def test_sixteen_threads_share_one_client(gh) -> None:
    client = app(gh)
    with ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(lambda _: client.create_token(gh.installation_id).token,
                               range(16)))
    assert len(set(tokens)) == 16
    assert all(gh.token_state(t) == "live" for t in tokens)


def test_repr_shows_the_fingerprint_not_the_key(gh) -> None:
    client = app(gh)
    assert client.key_fingerprint in repr(client)
    assert_no_secret(repr(client), gh.private_key_pem)


def test_requests_carry_githubs_headers(gh) -> None:
    seen = {}

    def hook(response, *args, **kwargs):
        seen.update(response.request.headers)

    session = build_session()
    session.hooks["response"].append(hook)
    app(gh, session).create_token(gh.installation_id)
    assert seen["Accept"] == "application/vnd.github+json"
    assert seen["X-GitHub-Api-Version"] == "2022-11-28"
    assert seen["User-Agent"].startswith("pulumi-github-app-token/")
