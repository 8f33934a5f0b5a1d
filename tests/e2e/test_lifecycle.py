"""The real pulumi CLI and engine, driving InstallationToken against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pulumi
import pytest
from pulumi import automation as auto

from github_app_token import InstallationToken

from ..support.ledger import assert_ledger, unwrap_secret
from ..support.secrets import assert_no_secret
from .harness import TOKEN_TYPE, Harness, digest, is_ciphertext, token_resources
from .programs import Echo, TokenUser

pytestmark = pytest.mark.e2e
RENEW_SHIFT = 3600 - 1700  # leaves 1700 s of a token's life: inside the default 1800 s window


@pytest.fixture
def h(e2e_env, tmp_path) -> Iterator[Harness]:
    asyncio.set_event_loop(asyncio.new_event_loop())
    yield Harness(e2e_env, tmp_path)


def program(gh, *, unknown_installation: bool = False, user: bool = False,
            permissions: dict[str, str] | None = None):
    def run() -> None:
        installation = (Echo("installation", gh.installation_id).value
                        if unknown_installation else gh.installation_id)
        token = InstallationToken(
            "ci", app_id=gh.app_id, private_key=gh.private_key_pem,
            installation_id=installation, base_url=gh.base_url, repositories=["infra"],
            permissions=permissions or {"contents": "read"},
        )
        if user:
            TokenUser("user", token.token, gh.base_url)
        pulumi.export("token", token.token)
        pulumi.export("expiresAt", token.expires_at)
    return run


def ledger(gh, stack: auto.Stack) -> None:
    """No token lost or orphaned: GitHub's live tokens are exactly those in state."""
    assert_ledger(gh, [unwrap_secret(r["outputs"]["token"]) for r in token_resources(stack)])


def current_token(stack: auto.Stack) -> str:
    output = stack.outputs()["token"]
    assert output.secret
    return output.value


def test_up_creates_a_token_that_is_secret_everywhere(gh, h: Harness) -> None:
    stack = h.inline(program(gh))
    up = h.up(stack)
    assert up.summary.result == "succeeded"
    token = current_token(stack)
    assert gh.token_state(token) == "live"
    [resource] = [r for r in h.stored_resources() if r["type"] == TOKEN_TYPE]
    assert is_ciphertext(resource["outputs"]["token"])
    assert not is_ciphertext(resource["inputs"]["__provider"])  # a class pointer, in clear
    assert is_ciphertext(resource["inputs"]["private_key"])
    assert "private_key" not in resource["outputs"]
    assert h.launches() >= 1, "the engine used our launcher"
    for text in (h.raw_state(), "\n".join(h.output), h.provider_stderr()):
        assert_no_secret(text, token, gh.private_key_pem)
    ledger(gh, stack)


def test_second_up_changes_nothing_and_calls_nobody(gh, h: Harness) -> None:
    stack = h.inline(program(gh))
    h.up(stack)
    gh.clear_log()
    again = h.up(stack)
    assert again.summary.resource_changes == {"same": 2}
    assert gh.requests == []


def test_preview_with_an_unknown_installation_id(gh, h: Harness) -> None:
    stack = h.inline(program(gh, unknown_installation=True))
    preview = stack.preview(color="never")
    assert preview.change_summary == {"create": 3}
    assert gh.requests == []
    h.up(stack)
    assert gh.token_state(current_token(stack)) == "live"


def test_renewal_mints_updates_dependents_then_revokes(gh, h: Harness) -> None:
    stack = h.inline(program(gh, user=True))
    h.up(stack)
    old = current_token(stack)
    gh.shift_clock(RENEW_SHIFT)
    preview = stack.preview(color="never")
    assert preview.change_summary.get("replace") == 1
    gh.clear_log()
    h.up(stack)
    new = current_token(stack)
    assert new != old
    assert gh.token_state(new) == "live" and gh.token_state(old) == "revoked"
    log = gh.requests
    old_id, new_id = gh.token_id(old), gh.token_id(new)
    minted = next(i for i, r in enumerate(log) if r.method == "POST" and r.token_id == new_id)
    used = next(i for i, r in enumerate(log) if r.method == "GET" and r.token_id == new_id)
    revoked = next(i for i, r in enumerate(log) if r.method == "DELETE" and r.token_id == old_id)
    assert minted < used < revoked, [(r.method, r.path, r.token_id) for r in log]
    assert stack.outputs()["expiresAt"].value != ""
    user = next(r for r in stack.export_stack().deployment["resources"]
                if r["type"].endswith("e2e:TokenUser"))
    assert user["outputs"]["token_sha256"] == digest(new)
    ledger(gh, stack)


def test_refresh_drops_a_token_revoked_out_of_band(gh, h: Harness) -> None:
    stack = h.inline(program(gh))
    h.up(stack)
    first = current_token(stack)
    gh.revoke_all()
    stack.refresh(color="never")
    assert token_resources(stack) == []
    up = h.up(stack)
    assert up.summary.resource_changes.get("create") == 1
    second = current_token(stack)
    assert second != first and gh.token_state(second) == "live"

    gh.revoke_all()
    both = h.up(stack, refresh=True)
    assert both.summary.resource_changes.get("create") == 1
    third = current_token(stack)
    assert third not in (first, second) and gh.token_state(third) == "live"
    ledger(gh, stack)


def test_a_refused_renewal_keeps_the_previous_token(gh, h: Harness) -> None:
    stack = h.inline(program(gh))
    h.up(stack)
    old = current_token(stack)
    [before] = token_resources(stack)
    gh.set_permissions(gh.installation_id, {"metadata": "read", "issues": "write"})
    gh.shift_clock(RENEW_SHIFT)
    with pytest.raises(auto.CommandError) as info:
        h.up(stack)
    text = str(info.value)
    assert "The permissions requested are not granted to this installation." in text
    assert "does not grant contents=read" in text  # names what was refused
    [after] = token_resources(stack)
    assert after["outputs"] == before["outputs"] and after["id"] == before["id"]
    assert current_token(stack) == old and gh.token_state(old) == "live"
    for blob in (text, h.raw_state(), h.provider_stderr()):
        assert_no_secret(blob, old, gh.private_key_pem)
    ledger(gh, stack)


def test_destroy_revokes_and_empties_the_stack(gh, h: Harness) -> None:
    stack = h.inline(program(gh))
    h.up(stack)
    token = current_token(stack)
    stack.destroy(color="never")
    assert gh.token_state(token) == "revoked"
    assert not stack.export_stack().deployment.get("resources")
    ledger(gh, stack)


def test_the_key_given_once_per_stack_never_enters_state(gh, h: Harness) -> None:
    def run() -> None:
        token = InstallationToken("ci", app_id=gh.app_id, installation_id=gh.installation_id,
                                  base_url=gh.base_url, repositories=["infra"])
        pulumi.export("token", token.token)

    stack = h.inline(run)
    stack.set_config("github-app-token:privateKey",
                     auto.ConfigValue(gh.private_key_pem, secret=True))
    assert h.up(stack).summary.result == "succeeded"
    token = current_token(stack)
    [resource] = [r for r in h.stored_resources() if r["type"] == TOKEN_TYPE]
    assert "private_key" not in resource["inputs"] and "private_key" not in resource["outputs"]

    rotated = gh.add_key()  # a key rotation: an in-place update that mints nothing
    stack.set_config("github-app-token:privateKey", auto.ConfigValue(rotated, secret=True))
    assert h.up(stack).summary.resource_changes == {"same": 1, "update": 1}
    assert current_token(stack) == token
    for text in (h.raw_state(), "\n".join(h.output), h.provider_stderr()):
        assert_no_secret(text, token, gh.private_key_pem, rotated)
    ledger(gh, stack)
    stack.destroy(color="never")
    assert gh.token_state(token) == "revoked"
