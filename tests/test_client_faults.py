"""The client against a hostile emulator: every fault ends in time, loses no token, and leaks
no credential. After each scenario the emulator's ledger has no live token the test did not
keep."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from github_app_emulator import Emulator, faults
from github_app_token.client import GitHubAppClient, revoke_token, token_is_live
from github_app_token.errors import (
    ApiError,
    AuthError,
    DeadlineError,
    GitHubAppTokenError,
    MalformedResponseError,
    RedirectError,
)
from github_app_token.retry import policy
from github_app_token.transport import Transport

from .support.hostile import SLACK, eventually
from .support.net import Recorder
from .support.secrets import assert_no_secret

FAST = policy(backoff_factor=0.02)


def app(gh, timeout: float = 10.0) -> GitHubAppClient:
    return GitHubAppClient(gh.app_id, gh.private_key_pem,
                           Transport(gh.base_url, retry=FAST, timeout=timeout))


def no_live_tokens(gh) -> None:
    ledger = gh.ledger()
    assert ledger.live == 0, ledger


@pytest.fixture
def legacy() -> Iterator[Emulator]:
    """GHES-style 40-character tokens: short enough to arrive early in a trickled body."""
    with Emulator(token_format="legacy") as emulator:
        yield emulator


def test_retry_after_on_a_5xx_longer_than_the_deadline_fails_at_once(gh) -> None:
    gh.inject("error", status=503, retry_after=3600)
    started = time.monotonic()
    with pytest.raises(ApiError) as info:
        app(gh).get_installation(gh.installation_id)
    assert time.monotonic() - started < 10 / 2, "not waited: that would reach the deadline"
    assert info.value.status == 503
    assert "wait 3600 s" in str(info.value) and "10 s deadline" in str(info.value)
    assert len(gh.requests) == 1


def test_retry_after_on_a_5xx_that_fits_is_honoured(gh) -> None:
    gh.inject("error", status=502, retry_after=1)
    started = time.monotonic()
    assert app(gh).get_installation(gh.installation_id).id == gh.installation_id
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in gh.requests] == [502, 200]


def test_retry_after_on_a_gateway_answer_to_the_mint_is_honoured(gh) -> None:
    gh.inject("error", status=503, retry_after=1, path="/access_tokens")
    started = time.monotonic()
    token = app(gh).create_token(gh.installation_id)
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in gh.requests] == [503, 201]
    assert gh.live_tokens() == [token.token]


def test_a_gateway_answer_to_the_mint_asking_too_long_a_wait_fails_at_once(gh) -> None:
    gh.inject("error", status=503, retry_after=3600, path="/access_tokens")
    started = time.monotonic()
    with pytest.raises(ApiError) as info:
        app(gh).create_token(gh.installation_id)
    assert time.monotonic() - started < 10 / 2, "not waited: that would reach the deadline"
    assert info.value.status == 503 and "wait 3600 s" in str(info.value)
    assert len(gh.requests) == 1
    no_live_tokens(gh)


@pytest.mark.parametrize("variant", sorted(faults.MALFORMED))
def test_a_malformed_201_is_revoked_and_fails_clearly(gh, variant: str) -> None:
    gh.inject("malformed", variant=variant)
    with pytest.raises(MalformedResponseError) as info:
        app(gh).create_token(gh.installation_id)
    text = str(info.value)
    assert text.startswith("GitHub answered 201 to POST /app/installations/")
    if faults.MALFORMED[variant]:
        assert info.value.revoked is True and "has been revoked" in text
        assert [r.method for r in gh.requests] == ["POST", "DELETE"]
        assert gh.ledger().revoked == 1
    else:
        assert info.value.revoked is False and "No token could be read" in text
    no_live_tokens(gh)
    for record in gh.requests:
        assert record.status in (201, 204)


def test_a_malformed_201_whose_revoke_fails_says_so(gh) -> None:
    gh.inject("malformed", variant="expires-at-not-date")
    gh.inject("error", count=10, status=500, path="/installation/token")
    with pytest.raises(MalformedResponseError) as info:
        app(gh).create_token(gh.installation_id)
    assert "Revoking the token it held failed" in str(info.value)
    assert "GitHub answered 500" in str(info.value)
    assert gh.ledger().live == 1, "reported, not hidden: it dies within the hour"
    [token] = gh.live_tokens()
    assert_no_secret(str(info.value), token)


def test_a_revoke_cut_by_the_mints_deadline_names_the_revoke(gh) -> None:
    gh.inject("malformed", variant="expires-at-not-date")
    gh.inject("delay", delay=2.0, path="/installation/token")
    with pytest.raises(MalformedResponseError) as info:
        app(gh, timeout=1.0).create_token(gh.installation_id)
    assert "Revoking the token it held failed (DELETE /installation/token did not finish" in str(
        info.value)


def test_a_trickling_body_is_cut_at_the_deadline(gh) -> None:
    gh.inject("trickle", delay=0.05)
    started = time.monotonic()
    with pytest.raises(DeadlineError, match="still arriving"):
        app(gh, timeout=0.8).get_installation(gh.installation_id)
    assert time.monotonic() - started < 0.8 + SLACK


def test_an_endless_body_is_cut_at_the_deadline(gh) -> None:
    gh.inject("trickle", variant="forever")
    started = time.monotonic()
    with pytest.raises(DeadlineError):
        token_is_live(Transport(gh.base_url, retry=FAST, timeout=0.8), "x")
    assert time.monotonic() - started < 0.8 + SLACK


def test_a_trickled_mint_is_revoked_from_what_arrived(legacy) -> None:
    gh = legacy
    # About 270 bytes at 10 ms each: the token (first) is in after 0.6 s, the whole body
    # after 2.7 s. The mint stops at 2.25 s (2.5 s less its revoke reserve): sleeps only ever
    # run long, so the body never completes in time, and the token arrives even if every
    # sleep of the emulator's took 3.5 times as long as asked.
    gh.inject("trickle", delay=0.01, path="/access_tokens")
    started = time.monotonic()
    with pytest.raises(MalformedResponseError) as info:
        app(gh, timeout=2.5).create_token(gh.installation_id)
    assert time.monotonic() - started < 2.5 + SLACK
    assert info.value.revoked is True, str(info.value)
    assert "still arriving at the deadline" in str(info.value)
    no_live_tokens(gh)


def test_a_cross_origin_redirect_is_not_followed(gh) -> None:
    elsewhere = Recorder()
    try:
        gh.inject("redirect", status=307, location=elsewhere.url)
        with pytest.raises(RedirectError) as info:
            app(gh).create_token(gh.installation_id)
    finally:
        elsewhere.close()
    assert f"redirect to {elsewhere.url} not followed" in str(info.value)
    assert elsewhere.received == [], "neither the JWT nor the body went there"
    assert len(gh.requests) == 1
    no_live_tokens(gh)


@pytest.mark.parametrize("status", [301, 308])
def test_a_same_origin_redirect_is_not_followed_either(gh, status: int) -> None:
    gh.inject("redirect", status=status)
    with pytest.raises(RedirectError, match=f"GitHub answered {status}"):
        app(gh).find_installation(owner=gh.account)
    assert len(gh.requests) == 1


def test_a_middlebox_401_is_not_githubs_verdict_on_a_token(gh) -> None:
    token = app(gh).create_token(gh.installation_id).token
    api = Transport(gh.base_url, retry=FAST, timeout=5)
    gh.inject("middlebox", count=2)
    with pytest.raises(AuthError, match="not a GitHub error object") as info:
        token_is_live(api, token)
    with pytest.raises(AuthError, match="proxy or gateway"):
        revoke_token(api, token)
    assert gh.token_state(token) == "live", "the token was neither dropped nor called dead"
    assert_no_secret(str(info.value), token)
    assert token_is_live(api, token)


@pytest.mark.parametrize("variant", ["html", "text"])
def test_a_middlebox_401_on_the_mint_does_not_blame_the_app_id(gh, variant: str) -> None:
    gh.inject("middlebox", variant=variant)
    with pytest.raises(AuthError) as info:
        app(gh).create_token(gh.installation_id)
    assert "proxy or gateway" in str(info.value)
    assert "app_id" not in str(info.value)


@pytest.mark.parametrize("kind,options", [
    ("error", {"status": 500}), ("reset", {}), ("delay", {"delay": 1.0}),
    ("trickle", {"variant": "forever"}), ("middlebox", {}), ("redirect", {}),
    ("malformed", {"variant": "truncated"}), ("secondary", {"retry_after": 3600}),
])
def test_every_fault_on_the_mint_ends_in_time_and_orphans_nothing(gh, kind, options) -> None:
    gh.inject(kind, count=10, **options)
    started = time.monotonic()
    with pytest.raises(GitHubAppTokenError) as info:
        app(gh, timeout=0.8).create_token(gh.installation_id)
    assert time.monotonic() - started < 0.8 + SLACK
    if kind == "delay":  # the emulator logs a delayed mint when it answers
        eventually(lambda: [r for r in gh.requests if r.method == "POST"])
    posts = [r for r in gh.requests if r.method == "POST"]
    assert len(posts) == 1, f"{kind}: the mint was repeated"
    if kind != "delay":
        no_live_tokens(gh)
    assert_no_secret(str(info.value), gh.private_key_pem, *gh.live_tokens())
