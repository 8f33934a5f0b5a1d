"""The GitHub App client against the emulator over real HTTP on loopback."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from github_app_token.client import GitHubAppClient, revoke_token, token_is_live
from github_app_token.errors import (
    ApiError,
    AuthError,
    DeadlineError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    SuspendedError,
    TransportError,
    ValidationError,
)
from github_app_token.retry import policy
from github_app_token.transport import Transport

from .support.hostile import SLACK, eventually
from .support.net import Relay, Scripted
from .support.secrets import assert_no_secret

FAST = policy(backoff_factor=0.02)
"""Production's retry counts, with backoff of a few hundredths of a second."""


def transport(gh, timeout: float = 20.0, base_url: str | None = None) -> Transport:
    return Transport(base_url or gh.base_url, retry=FAST, timeout=timeout)


def app(gh, key=None, issuer=None, timeout: float = 20.0) -> GitHubAppClient:
    return GitHubAppClient(issuer or gh.app_id, key or gh.private_key_pem,
                           transport(gh, timeout))


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
    assert abs(token.clock_offset) < 5
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


def test_find_and_get_installation(gh) -> None:
    client = app(gh)
    assert client.find_installation(owner=gh.account).id == gh.installation_id
    assert client.find_installation(owner="OCTOCAT").id == gh.user_installation_id
    paths = [r.path for r in gh.requests][-2:]
    assert paths == ["/orgs/OCTOCAT/installation", "/users/OCTOCAT/installation"]
    assert client.find_installation(repository=f"{gh.account}/infra").id == gh.installation_id
    installation = client.get_installation(gh.installation_id)
    assert (installation.id, installation.account) == (gh.installation_id, gh.account)
    assert installation.permissions == gh.permissions
    assert installation.repository_selection in ("all", "selected")


def test_unknown_owner_names_the_input(gh) -> None:
    with pytest.raises(NotFoundError) as info:
        app(gh).find_installation(owner="nobody-here")
    assert "not installed on the account that owner names" in str(info.value)
    assert "GET /users/{owner}/installation" in str(info.value)
    assert "nobody-here" not in str(info.value)
    assert info.value.request_id


def test_unknown_installation_names_the_input(gh) -> None:
    with pytest.raises(NotFoundError) as info:
        app(gh).create_token(999999)
    assert "no installation with this installation_id" in str(info.value)
    assert "999999" not in str(info.value)


def test_foreign_key_says_it_does_not_belong_to_the_app(gh, foreign_pem) -> None:
    with pytest.raises(AuthError) as info:
        app(gh, key=foreign_pem).create_token(gh.installation_id)
    text = str(info.value)
    assert "A JSON web token could not be decoded" in text
    assert "does not belong to the GitHub App that app_id / client_id names" in text
    assert info.value.status == 401 and info.value.documentation_url
    assert_no_secret(text, foreign_pem, gh.private_key_pem)


def test_unknown_app_id(gh) -> None:
    with pytest.raises(NotFoundError, match="No GitHub App with this app_id / client_id"):
        app(gh, issuer=987654).create_token(gh.installation_id)


def test_a_refused_permission_is_named_once_with_no_doubled_period(gh) -> None:
    # The installation grants actions: read, contents: write and no administration.
    with pytest.raises(ValidationError) as info:
        app(gh).create_token(gh.installation_id, permissions={
            "contents": "read", "actions": "write", "administration": "write"})
    text = str(info.value)
    assert "The permissions requested are not granted to this installation. The" in text
    assert ".." not in text
    assert info.value.hint.startswith(
        "The installation does not grant actions=write (it grants read), "
        "administration=write (it grants none): ")
    assert "contents" not in info.value.hint
    # The lookup that names them is made on this error path only, after the refused mint.
    assert [(r.method, r.status) for r in gh.requests] == [("POST", 422), ("GET", 200)]


def test_a_refused_repository_names_the_field(gh) -> None:
    with pytest.raises(ValidationError) as info:
        app(gh).create_token(gh.installation_id, repositories=["not-there"])
    text = str(info.value)
    assert "not accessible to the parent installation. Each entry of repositories" in text
    assert "not-there" not in text and ".." not in text


@pytest.mark.parametrize("status", [404, 405, 422])
def test_a_base_url_that_is_not_the_api_root_says_so(gh, status: int) -> None:
    # A web server's HTML page, as GitHub Enterprise Server's web address answers API paths.
    gh.inject("middlebox", count=10, status=status)
    with pytest.raises(ApiError) as info:
        app(gh).create_token(gh.installation_id)
    text = str(info.value)
    assert text.startswith(f"The server at base_url answered {status} to POST ")
    assert "base_url is likely not the API root: give https://api.github.com, " \
           "https://HOST/api/v3 for GitHub Enterprise Server" in text
    assert "check installation_id" not in text and "scope" not in text


def test_a_lookup_answered_with_a_web_page_suspects_base_url(gh) -> None:
    server = Scripted()
    server.script = lambda method, path, credential: (
        200, {"Content-Type": "text/html"}, b"<html><body>Sign in</body></html>")
    try:
        client = GitHubAppClient(gh.app_id, gh.private_key_pem,
                                 transport(gh, base_url=server.base_url))
        with pytest.raises(MalformedResponseError) as info:
            client.find_installation(owner="octo-org")
    finally:
        server.close()
    text = str(info.value)
    assert "Check that base_url is GitHub's REST API root" in text
    assert "token" not in text and "octo-org" not in text


def test_suspended_installation(gh) -> None:
    with pytest.raises(SuspendedError, match="unsuspend"):
        app(gh).create_token(gh.suspended_installation_id)


@pytest.mark.parametrize("shift", [900.0, -400.0, 7200.0], ids=["ahead", "behind", "2h-ahead"])
def test_clock_skew_is_learned_from_the_date_header(gh, shift: float) -> None:
    gh.shift_clock(shift)
    client = app(gh)
    token = client.create_token(gh.installation_id)
    assert gh.token_state(token.token) == "live"
    assert [r.status for r in posts(gh)] == [401, 201]
    assert abs(client.clock_offset - shift) < 5
    assert abs(token.clock_offset - shift) < 5, "the offset travels with the token"
    gh.clear_log()
    client.create_token(gh.installation_id)
    assert [r.status for r in posts(gh)] == [201], "the offset is remembered by this client"


def test_clients_do_not_share_what_they_learn(gh) -> None:
    gh.shift_clock(900)
    app(gh).create_token(gh.installation_id)
    gh.clear_log()
    app(gh).create_token(gh.installation_id)
    assert [r.status for r in posts(gh)] == [401, 201], "a new client starts from our clock"


def test_server_errors_are_retried_for_lookups(gh) -> None:
    gh.inject("error", count=2, status=502)
    assert app(gh).find_installation(owner=gh.account).id == gh.installation_id
    assert [r.status for r in gh.requests] == [502, 502, 200]


def test_persistent_server_errors_fail_clearly(gh) -> None:
    gh.inject("error", count=10, status=503)
    with pytest.raises(ApiError) as info:
        app(gh).get_installation(gh.installation_id)
    assert info.value.status == 503 and "try again later" in str(info.value)
    assert len(gh.requests) == 5, "one try and four retries"


def test_a_mint_answered_with_500_is_never_repeated(gh) -> None:
    gh.inject("error", count=1, status=500)
    with pytest.raises(ApiError) as info:
        app(gh).create_token(gh.installation_id)
    assert info.value.status == 500 and "not sent again" in str(info.value)
    assert "after retries" not in str(info.value)
    assert len(posts(gh)) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_answer_on_the_mint_is_retried(gh, status: int) -> None:
    gh.inject("error", count=2, status=status)
    token = app(gh).create_token(gh.installation_id)
    assert [r.status for r in posts(gh)] == [status, status, 201]
    assert gh.live_tokens() == [token.token]


def test_a_mint_cut_off_by_a_reset_is_never_repeated(gh) -> None:
    gh.inject("reset", count=1)
    with pytest.raises(TransportError) as info:
        app(gh).create_token(gh.installation_id)
    assert info.value.sent and "may have reached GitHub" in str(info.value)
    assert len(gh.requests) <= 1
    assert gh.live_tokens() == []


def test_a_mint_that_timed_out_reading_is_never_repeated(gh) -> None:
    gh.inject("delay", count=1, delay=1.0)  # a repeated POST would be answered at once: a 201
    started = time.monotonic()
    with pytest.raises(DeadlineError):
        app(gh, timeout=0.5).create_token(gh.installation_id)
    assert time.monotonic() - started < 0.5 + SLACK
    eventually(lambda: posts(gh))  # the emulator logs the delayed mint when it answers
    assert len(posts(gh)) == 1, "one POST reached the server, and only one"


def test_a_refused_connection_is_retried_even_for_the_mint(gh) -> None:
    port = int(gh.base_url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port, listen_after=0.1)  # refuses connections for the first 0.1 s
    try:
        base = gh.base_url.replace(f":{port}", f":{relay.port}")
        client = GitHubAppClient(gh.app_id, gh.private_key_pem, transport(gh, base_url=base))
        token = client.create_token(gh.installation_id)
    finally:
        relay.close()
    assert gh.token_state(token.token) == "live"
    assert len(posts(gh)) == 1 and len(gh.live_tokens()) == 1


def test_connection_resets_are_retried_for_lookups(gh) -> None:
    gh.inject("reset", count=2)
    assert app(gh).get_installation(gh.installation_id).id == gh.installation_id


def test_resets_beyond_the_budget_become_transport_errors(gh) -> None:
    gh.inject("reset", count=10)
    with pytest.raises(TransportError) as info:
        app(gh).get_installation(gh.installation_id)
    assert "GET /app/installations/{installation_id}" in str(info.value)


def test_a_slow_server_fails_within_the_deadline(gh) -> None:
    gh.inject("delay", count=20, delay=1.0)
    started = time.monotonic()
    with pytest.raises(DeadlineError) as info:
        app(gh, timeout=0.6).get_installation(gh.installation_id)
    elapsed = time.monotonic() - started
    assert elapsed < 0.6 + SLACK, elapsed
    text = str(info.value)
    assert "did not finish within its deadline (GITHUB_APP_TOKEN_TIMEOUT)" in text
    assert "the server at base_url accepted the request but had not answered" in text
    assert "raise GITHUB_APP_TOKEN_TIMEOUT only if that server is known to answer slowly" in text
    assert "127.0.0.1" not in text


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(gh, status: int) -> None:
    gh.inject("secondary", count=1, status=status, retry_after=1)
    started = time.monotonic()
    app(gh).create_token(gh.installation_id)
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in posts(gh)] == [status, 201]


def test_primary_rate_limit_waits_for_the_reset(gh) -> None:
    gh.inject("primary", count=1, retry_after=0)  # reset at the next second, +1 s margin
    started = time.monotonic()
    app(gh).create_token(gh.installation_id)
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in posts(gh)] == [403, 201]


def test_a_rate_limit_longer_than_the_deadline_fails_at_once(gh) -> None:
    gh.inject("secondary", count=1, retry_after=600)
    started = time.monotonic()
    with pytest.raises(RateLimitError, match="wait 600 s") as info:
        app(gh).create_token(gh.installation_id)
    assert time.monotonic() - started < 20 / 2, "not waited: that would reach the deadline"
    assert "deadline" in str(info.value)
    assert len(posts(gh)) == 1


def test_a_rate_limit_that_fits_only_partly_fails_at_once(gh) -> None:
    gh.inject("secondary", count=1, retry_after=5)
    started = time.monotonic()
    with pytest.raises(RateLimitError, match=r"more than the \d s left"):
        app(gh, timeout=3).create_token(gh.installation_id)
    assert time.monotonic() - started < 3, "not waited: that would outlast the deadline"


def test_a_plain_403_is_not_retried(gh) -> None:
    with pytest.raises(SuspendedError):
        app(gh).create_token(gh.suspended_installation_id)
    assert len(posts(gh)) == 1


def test_token_checks_and_revocation(gh) -> None:
    token = app(gh).create_token(gh.installation_id).token
    api = transport(gh)
    assert token_is_live(api, token)
    revoke_token(api, token)
    assert gh.token_state(token) == "revoked"
    assert not token_is_live(api, token)
    revoke_token(api, token)  # GitHub's 401: already dead, which is what we wanted


def test_failed_revoke_raises(gh) -> None:
    token = app(gh).create_token(gh.installation_id).token
    gh.inject("error", count=10, status=500)
    with pytest.raises(ApiError) as info:
        revoke_token(transport(gh), token)
    assert gh.token_state(token) == "live"
    assert_no_secret(str(info.value), token)


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
    assert_no_secret(repr(client) + repr(client.transport) + repr(client._jwts),
                     gh.private_key_pem)


def test_requests_carry_githubs_headers(gh) -> None:
    seen: dict = {}
    client = app(gh)
    client.transport._session.hooks["response"].append(
        lambda response, *args, **kwargs: seen.update(response.request.headers))
    client.create_token(gh.installation_id)
    assert seen["Accept"] == "application/vnd.github+json"
    assert seen["X-GitHub-Api-Version"] == "2022-11-28"
    assert seen["User-Agent"].startswith("pulumi-github-app-token/")
    assert seen["Authorization"].startswith("Bearer ")
    assert [r.auth for r in posts(gh)] == ["jwt"]


def test_a_mint_that_never_connected_says_nothing_was_sent(gh) -> None:
    relay = Relay(1, listen_after=3600)  # a port that refuses every connection
    base = gh.base_url.replace(gh.base_url.split("/")[2], f"127.0.0.1:{relay.port}")
    try:
        with pytest.raises(TransportError) as info:
            GitHubAppClient(gh.app_id, gh.private_key_pem,
                            transport(gh, base_url=base)).create_token(gh.installation_id)
    finally:
        relay.close()
    assert info.value.sent is False
    assert "may have reached GitHub" not in str(info.value)
    assert "base_url's host refused the connection" in str(info.value)


def test_a_date_a_day_off_is_not_learnt_for_signing(gh) -> None:
    server = Scripted()
    server.script = lambda method, path, credential: (
        404, {"Date": "Thu, 01 Jan 1970 00:00:00 GMT"}, b'{"message": "Not Found"}')
    try:
        client = GitHubAppClient(gh.app_id, gh.private_key_pem,
                                 transport(gh, base_url=server.base_url))
        with pytest.raises(NotFoundError):
            client.get_installation(1)
    finally:
        server.close()
    assert client.clock_offset == 0.0, "JWTs are still signed on this machine's clock"


def test_a_201_whose_date_does_not_fit_is_judged_on_our_clock(gh, caplog) -> None:
    """Finding 7: `Date: 1970` on a 201 once froze renewal (clock_offset ~ -1.8e9)."""
    server = Scripted()
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    server.script = lambda method, path, credential: (
        201, {"Date": "Thu, 01 Jan 1970 00:00:00 GMT"},
        b'{"token": "tok", "expires_at": "%s"}' % expires.encode())
    try:
        client = GitHubAppClient(gh.app_id, gh.private_key_pem,
                                 transport(gh, base_url=server.base_url))
        with caplog.at_level("WARNING", logger="github_app_token"):
            token = client.create_token(1)
    finally:
        server.close()
    assert token.clock_offset == 0.0 and 3590 <= token.lifetime <= 3600
    [record] = caplog.records
    assert "Date header" in record.getMessage() and "this machine's clock" in record.getMessage()


def test_a_201_whose_expiry_fits_no_clock_is_revoked_and_refused(gh) -> None:
    server = Scripted()
    server.script = lambda method, path, credential: (
        (201, {}, b'{"token": "tok", "expires_at": "2999-01-01T00:00:00Z"}') if method == "POST"
        else (204, {}, b""))
    try:
        client = GitHubAppClient(gh.app_id, gh.private_key_pem,
                                 transport(gh, base_url=server.base_url))
        with pytest.raises(MalformedResponseError) as info:
            client.create_token(1)
    finally:
        server.close()
    assert "more than a day from both GitHub's `Date` header and this machine's clock" in str(
        info.value)
    assert info.value.revoked is True
    assert [method for method, _, _ in server.seen] == ["POST", "DELETE"]
