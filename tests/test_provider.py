"""InstallationTokenProvider's hooks, called in-process, against the emulator."""

from __future__ import annotations

import importlib.machinery
import sys
import traceback
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown

from github_app_emulator.faults import MALFORMED
from github_app_token import InstallationTokenProvider, clock, lifecycle
from github_app_token.errors import (
    AuthError,
    GitHubAppTokenError,
    RevokeError,
    TransportError,
    ValidationError,
)

from .support.ledger import assert_ledger
from .support.pasted import pasted
from .support.secrets import assert_no_secret, new_rsa_pem

PROVIDER = InstallationTokenProvider()


@pytest.fixture
def later(gh, monkeypatch) -> Callable[[float], None]:
    """Let `seconds` pass on both clocks: GitHub's (the emulator's) and ours."""
    moved = [0.0]
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + moved[0])

    def advance(seconds: float) -> None:
        moved[0] += seconds
        gh.shift_clock(seconds)
    return advance


def news(gh, **overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "app_id": gh.app_id, "private_key": gh.private_key_pem,
        "installation_id": gh.installation_id, "base_url": gh.base_url,
        "repositories": ["infra"], "permissions": {"contents": "read"},
    }
    props.update(overrides)
    result = PROVIDER.check({}, {k: v for k, v in props.items() if v is not None})
    assert result.failures == []
    return result.inputs


def as_engine_sends(outs: dict[str, Any]) -> dict[str, Any]:
    """Old outputs as the engine hands them back: every int is a float."""
    def floaty(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return float(value)
        if isinstance(value, list):
            return [floaty(v) for v in value]
        if isinstance(value, dict):
            return {k: floaty(v) for k, v in value.items()}
        return value
    return floaty(outs)


def create(gh, **overrides: Any) -> tuple[str, dict[str, Any]]:
    result = PROVIDER.create(as_engine_sends(news(gh, **overrides)))
    return result.id, as_engine_sends(result.outs)


def test_check_reports_failures_by_property(gh) -> None:
    result = PROVIDER.check({}, {"app_id": 1, "client_id": "x", "private_key": "nope",
                                 "installation_id": 1, "permissions": {"workflows": "read"}})
    props = {f.property for f in result.failures}
    assert props == {"app_id", "private_key", "permissions"}


def test_a_pasted_secret_is_reported_without_its_property(gh) -> None:
    # The engine prints a failing property's value: a failure with no property prints none.
    secret = pasted()
    result = PROVIDER.check({}, {"app_id": gh.app_id, "private_key": gh.private_key_pem,
                                 "owner": secret.token, "repository": secret.jwt,
                                 "base_url": secret.key, "permissions": {"contens": "read"}})
    by_property = {f.property: f.reason for f in result.failures if f.property}
    hidden = [f.reason for f in result.failures if not f.property]
    assert set(by_property) == {"installation_id", "permissions"}  # values nothing like secrets
    assert sorted(reason.split(":")[0] for reason in hidden) == ["base_url", "owner",
                                                                 "repository"]
    assert all("looks like a key, JWT or token" in reason for reason in hidden)
    assert_no_secret(repr(result.failures), *secret.all)


def configure(provider: InstallationTokenProvider) -> None:
    provider.configure(ConfigureRequest(config=Config(raw_config={}, project_name="p")))


def dynamic_server(name: str = "pulumi.dynamic.__main__", **attrs: Any) -> types.ModuleType:
    """A module shaped like `python -m pulumi.dynamic`'s `__main__`, as far as our seam looks."""
    server = types.ModuleType("__main__")
    server.__spec__ = importlib.machinery.ModuleSpec(name, None)
    server.traceback = traceback
    server._abort_with_traceback = lambda fn: fn
    vars(server).update(attrs)
    return server


def formatted(server: types.ModuleType, err: Exception) -> str:
    try:
        raise err
    except Exception:
        return server.traceback.format_exc()


def test_the_dynamic_server_answers_our_errors_with_their_message(monkeypatch) -> None:
    server = dynamic_server()
    monkeypatch.setitem(sys.modules, "__main__", server)
    configure(InstallationTokenProvider())
    ours = RevokeError(456, "2030-01-01T00:00:00Z", "GitHub answered 500")
    assert formatted(server, ours) == str(ours)
    bug = formatted(server, ZeroDivisionError("a bug"))
    assert bug.startswith("Traceback (most recent call last):")
    assert bug.endswith("ZeroDivisionError: a bug\n")
    assert server.traceback.format_list is traceback.format_list  # the rest is the module's


@pytest.mark.parametrize("server", [
    dynamic_server(name="some.other.program"),
    dynamic_server(_abort_with_traceback=None),  # Pulumi renamed or dropped its wrapper
    dynamic_server(traceback=None),  # it formats errors some other way
    types.ModuleType("__main__"),  # a Python program, pytest, anything else
], ids=["other-program", "no-wrapper", "no-traceback", "bare"])
def test_anywhere_else_the_seam_changes_nothing(monkeypatch, server) -> None:
    before = dict(vars(server))
    monkeypatch.setitem(sys.modules, "__main__", server)
    configure(InstallationTokenProvider())
    assert vars(server) == before


def test_check_lets_unknowns_through(gh) -> None:
    result = PROVIDER.check({}, {"app_id": gh.app_id, "private_key": Unknown(),
                                 "installation_id": Unknown()})
    assert result.failures == []
    assert isinstance(result.inputs["installation_id"], Unknown)


def test_create_outputs(gh) -> None:
    id_, outs = create(gh)
    token = outs["token"]
    assert gh.token_state(token) == "live"
    assert token not in id_ and id_.startswith(f"{gh.installation_id}-")
    assert outs["installation_id"] == gh.installation_id
    assert outs["granted_permissions"] == {"contents": "read"}
    assert outs["granted_repositories"] == [f"{gh.account}/infra"]
    assert outs["repository_selection"] == "selected"
    assert outs["key_fingerprint"].startswith("SHA256:")
    assert outs["expires_at"].endswith("Z")
    assert "private_key" not in outs
    for name in ("app_id", "client_id", "owner", "repository", "repositories", "repository_ids",
                 "permissions", "base_url", "renew_before", "revoke_on_delete"):
        assert name in outs
    assert_no_secret(repr({k: v for k, v in outs.items() if k != "token"}), token,
                     gh.private_key_pem)
    assert abs(outs["clock_offset"]) < 5
    assert_ledger(gh, [token])


@pytest.mark.parametrize("selector", ["owner", "repository"])
def test_create_resolves_the_installation(gh, selector: str) -> None:
    value = gh.account if selector == "owner" else f"{gh.account}/docs"
    _, outs = create(gh, installation_id=None, **{selector: value})
    assert outs["installation_id"] == gh.installation_id
    assert outs[selector] == value
    assert [r.method for r in gh.requests] == ["GET", "POST"]


def test_create_sends_exactly_one_post_for_an_installation_id(gh) -> None:
    create(gh)
    assert [(r.method, r.path) for r in gh.requests] == [
        ("POST", f"/app/installations/{gh.installation_id}/access_tokens")
    ]


def test_create_failure_is_githubs_422_with_advice(gh) -> None:
    with pytest.raises(ValidationError) as info:
        create(gh, permissions={"administration": "write"})
    assert "not granted to this installation" in str(info.value)
    assert_no_secret(str(info.value), gh.private_key_pem)
    assert_ledger(gh, [])


def test_diff_makes_no_network_calls(gh) -> None:
    id_, outs = create(gh)
    gh.clear_log()
    result = PROVIDER.diff(id_, outs, news(gh))
    assert result.changes is False
    result = PROVIDER.diff(id_, outs, news(gh, repositories=["infra", "app"]))
    assert result.changes is True and result.replaces == ["repositories"]
    assert result.delete_before_replace is False
    result = PROVIDER.diff(id_, outs, news(gh, installation_id=Unknown()))
    assert result.changes is True and "installation_id" in result.replaces
    assert gh.requests == []


def test_diff_replaces_a_token_inside_the_renewal_window(gh, later) -> None:
    id_, outs = create(gh)
    later(3600 - 1700)  # 1700 s left: inside the default 1800 s window
    gh.clear_log()
    assert PROVIDER.diff(id_, outs, news(gh)).replaces == ["expires_at"]
    assert PROVIDER.diff(id_, outs, news(gh, renew_before=1600)).replaces == []
    assert gh.requests == []


def test_key_rotation_is_an_update_that_mints_nothing(gh) -> None:
    id_, outs = create(gh)
    second = gh.add_key()
    diff = PROVIDER.diff(id_, outs, news(gh, private_key=second))
    assert diff.changes is True and diff.replaces == []
    gh.clear_log()
    updated = PROVIDER.update(id_, outs, news(gh, private_key=second, renew_before=600)).outs
    assert gh.requests == []
    assert updated["token"] == outs["token"]
    assert updated["renew_before"] == 600
    assert updated["key_fingerprint"] != outs["key_fingerprint"]


def test_read_keeps_a_live_token_with_one_cheap_call(gh) -> None:
    id_, outs = create(gh)
    gh.clear_log()
    result = PROVIDER.read(id_, outs)
    assert result.id == id_ and result.outs["token"] == outs["token"]
    [call] = gh.requests
    assert (call.method, call.path, call.query) == ("GET", "/installation/repositories",
                                                    "per_page=1")


def test_read_drops_a_revoked_token(gh) -> None:
    id_, outs = create(gh)
    gh.revoke_all()
    result = PROVIDER.read(id_, outs)
    assert result.id is None and result.outs == {}


def test_read_drops_an_expired_token_without_asking_github(gh, later) -> None:
    id_, outs = create(gh)
    later(3700)
    gh.clear_log()
    result = PROVIDER.read(id_, outs)
    assert result.id is None and gh.requests == []


def test_read_never_drops_a_live_token_on_a_network_error(gh, monkeypatch) -> None:
    id_, outs = create(gh)
    gh.inject("reset", count=50)
    with pytest.raises(TransportError) as info:
        PROVIDER.read(id_, outs)
    assert "GET /installation/repositories" in str(info.value)
    assert_no_secret(str(info.value), outs["token"])


def test_update_never_drops_the_token(gh) -> None:
    id_, outs = create(gh)
    updated = PROVIDER.update(id_, outs, news(gh, revoke_on_delete=False)).outs
    assert updated["token"] == outs["token"]
    assert updated["revoke_on_delete"] is False
    assert set(updated) >= set(outs) - {"__provider"}


def test_delete_revokes(gh) -> None:
    id_, outs = create(gh)
    PROVIDER.delete(id_, outs)
    assert gh.token_state(outs["token"]) == "revoked"
    PROVIDER.delete(id_, outs)  # already dead: GitHub's 401 counts as done
    assert_ledger(gh, [])


def test_delete_skips_expired_tokens_and_opt_outs(gh, later) -> None:
    id_, outs = create(gh)
    PROVIDER.delete(id_, {**outs, "revoke_on_delete": False})
    assert gh.token_state(outs["token"]) == "live"
    _, expired = create(gh)
    later(3700)
    gh.clear_log()
    PROVIDER.delete(id_, expired)
    assert gh.requests == []


def test_failed_revoke_says_the_token_stays_valid(gh) -> None:
    id_, outs = create(gh)
    gh.inject("error", count=50, status=500)
    with pytest.raises(RevokeError) as info:
        PROVIDER.delete(id_, outs)
    text = str(info.value)
    assert f"stays valid until {outs['expires_at']}" in text
    assert "GitHub answered 500" in text
    assert_no_secret(text, outs["token"])
    assert_ledger(gh, [outs["token"]])  # delete failed: the engine keeps it in state


def test_sixteen_parallel_creates_on_one_provider(gh) -> None:
    props = as_engine_sends(news(gh))
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: PROVIDER.create(dict(props)), range(16)))
    tokens = {r.outs["token"] for r in results}
    assert len(tokens) == 16 and len({r.id for r in results}) == 16
    assert all(gh.token_state(t) == "live" for t in tokens)
    assert_ledger(gh, tokens)


def test_wrong_key_error_is_secret_free(gh) -> None:
    pem = new_rsa_pem()
    with pytest.raises(AuthError) as info:
        create(gh, private_key=pem)
    assert "does not belong to the GitHub App" in str(info.value)
    assert_no_secret(str(info.value), pem)


def renew(id_: str, olds: dict[str, Any], new: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """What the engine does for a replacement: create the new token, then delete the old."""
    created = PROVIDER.create(as_engine_sends(new))
    PROVIDER.delete(id_, olds)
    return created.id, as_engine_sends(created.outs)


def test_renewal_is_create_before_delete_and_leaves_one_live_token(gh, later) -> None:
    id_, outs = create(gh)
    later(2000)
    diff = PROVIDER.diff(id_, outs, news(gh))
    assert diff.replaces == ["expires_at"] and diff.delete_before_replace is False
    reasons = lifecycle.explain(outs, news(gh))
    assert reasons["expires_at"].startswith("expires in 1") and "renew_before (1800 s)" in (
        reasons["expires_at"])
    _, renewed = renew(id_, outs, news(gh))
    assert gh.token_state(outs["token"]) == "revoked"
    assert_ledger(gh, [renewed["token"]])


def test_a_refused_renewal_keeps_the_live_token(gh, later) -> None:
    id_, outs = create(gh)
    later(2000)
    gh.set_permissions(gh.installation_id, {"metadata": "read"})
    with pytest.raises(ValidationError):
        renew(id_, outs, news(gh))
    assert gh.token_state(outs["token"]) == "live"
    assert_ledger(gh, [outs["token"]])


def test_a_500_on_the_mint_is_not_repeated_and_orphans_nothing(gh) -> None:
    gh.inject("error", count=1, status=500)
    with pytest.raises(GitHubAppTokenError):
        create(gh)
    assert [r.status for r in gh.requests] == [500]
    assert_ledger(gh, [])
    _, outs = create(gh)  # the next run mints
    assert_ledger(gh, [outs["token"]])


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_answer_on_the_mint_is_retried_and_orphans_nothing(gh, status: int) -> None:
    gh.inject("error", count=2, status=status)
    _, outs = create(gh)
    assert [r.status for r in gh.requests] == [status, status, 201]
    assert_ledger(gh, [outs["token"]])


@pytest.mark.parametrize("variant", sorted(MALFORMED))
def test_a_malformed_201_fails_clearly_and_orphans_nothing(gh, variant: str) -> None:
    gh.inject("malformed", variant=variant, path="/access_tokens")
    with pytest.raises(GitHubAppTokenError) as info:
        create(gh)
    assert_no_secret(str(info.value), gh.private_key_pem, *gh.live_tokens())
    assert_ledger(gh, [])


@pytest.mark.parametrize("kind", ["secondary", "primary"])
def test_a_rate_limited_mint_waits_and_mints_once(gh, kind: str) -> None:
    gh.inject(kind, retry_after=1, path="/access_tokens")
    _, outs = create(gh)
    assert [r.status for r in gh.requests] == [403, 201]
    assert_ledger(gh, [outs["token"]])


@pytest.fixture
def ours_ahead(monkeypatch) -> None:
    """This machine's clock runs 2 h ahead of GitHub's."""
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + 7200)


def test_a_clock_two_hours_ahead_neither_drops_renews_nor_skips_revoking(gh, ours_ahead) -> None:
    id_, outs = create(gh)
    assert outs["clock_offset"] == pytest.approx(-7200, abs=5)
    gh.clear_log()
    # diff is pure: a new process reads the offset from state, not from memory.
    assert PROVIDER.diff(id_, outs, news(gh)).changes is False
    assert gh.requests == []
    assert PROVIDER.read(id_, outs).id == id_
    PROVIDER.delete(id_, outs)
    assert gh.token_state(outs["token"]) == "revoked"
    assert_ledger(gh, [])


def test_github_two_hours_ahead_renews_on_githubs_clock(gh, later) -> None:
    gh.shift_clock(7200)
    id_, outs = create(gh)
    assert outs["clock_offset"] == pytest.approx(7200, abs=5)
    later(1500)
    assert PROVIDER.diff(id_, outs, news(gh)).changes is False
    later(400)  # ~1700 s left by GitHub's clock; ~8900 s by ours
    assert PROVIDER.diff(id_, outs, news(gh)).replaces == ["expires_at"]
    later(1800)  # dead by GitHub's clock: read and delete need not ask
    gh.clear_log()
    assert PROVIDER.read(id_, outs).id is None
    PROVIDER.delete(id_, outs)
    assert gh.requests == []
    assert_ledger(gh, [])


def test_state_without_an_offset_asks_github_before_dropping(gh, later) -> None:
    id_, outs = create(gh)
    old = {k: v for k, v in outs.items() if k != "clock_offset"}
    later(3700)
    gh.clear_log()
    assert PROVIDER.read(id_, old).id is None
    assert [r.status for r in gh.requests] == [401]


def test_provider_is_stateless_and_small() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    assert vars(PROVIDER) == {}
    assert len(serialize_provider(PROVIDER)) < 2048
