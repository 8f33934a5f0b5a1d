from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from github_app_token.renewal import (
    due_for_renewal,
    github_time,
    is_dead,
    is_expired,
    plan,
    reasons,
)

NOW = 1_800_000_000.0


def stamp(offset: float) -> str:
    return datetime.fromtimestamp(NOW + offset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def outs(**overrides: Any) -> dict[str, Any]:
    base = {
        "app_id": 123.0, "client_id": None, "installation_id": 456.0, "owner": None,
        "repository": None, "repositories": ["infra"], "repository_ids": None,
        "permissions": {"contents": "read"}, "base_url": "https://api.github.com",
        "renew_before": 1800.0, "revoke_on_delete": True, "token": "t",
        "expires_at": stamp(3000), "key_fingerprint": "SHA256:old",
    }
    base.update(overrides)
    return base


def news(**overrides: Any) -> dict[str, Any]:
    base = {k: v for k, v in outs().items() if k not in ("token", "expires_at", "key_fingerprint")}
    base.update(app_id=123, installation_id=456, renew_before=1800, private_key="KEY")
    base.update(overrides)
    return base


class Unknown:
    pass


def run(olds: dict, new: dict) -> tuple[list[str], list[str]]:
    return plan(olds, new, NOW, lambda v: isinstance(v, Unknown), lambda pem: "SHA256:old")


def test_same_inputs_and_fresh_token_mean_no_change() -> None:
    assert run(outs(), news()) == ([], [])


@pytest.mark.parametrize(
    ("name", "value"),
    [("app_id", 124), ("installation_id", 457), ("repositories", ["infra", "app"]),
     ("repository_ids", [1]), ("permissions", {"contents": "write"}),
     ("base_url", "https://ghe.example.com/api/v3"), ("client_id", "Iv1.x")],
)
def test_scope_changes_replace_with_the_key_named(name: str, value: Any) -> None:
    replaces, _ = run(outs(), news(**{name: value}))
    assert replaces == [name]


def test_switching_selector_replaces() -> None:
    replaces, _ = run(outs(), news(installation_id=None, owner="octo-org"))
    assert replaces == ["installation_id", "owner"]


def test_owner_selector_is_stable_although_outputs_hold_the_resolved_id() -> None:
    assert run(outs(owner="octo-org"), news(installation_id=None, owner="octo-org")) == ([], [])


@pytest.mark.parametrize(("left", "due"), [(1801, False), (1799, True), (0, True), (-5, True)])
def test_renewal_window(left: float, due: bool) -> None:
    replaces, _ = run(outs(expires_at=stamp(left)), news())
    assert (replaces == ["expires_at"]) is due


def test_renew_before_zero_still_renews_expired_tokens() -> None:
    assert due_for_renewal(outs(expires_at=stamp(-1)), 0, NOW)
    assert not due_for_renewal(outs(expires_at=stamp(1)), 0, NOW)


def test_settings_only_update_in_place() -> None:
    assert run(outs(), news(renew_before=600, revoke_on_delete=False)) == (
        [], ["renew_before", "revoke_on_delete"]
    )


def test_a_new_key_is_an_update_not_a_replacement() -> None:
    replaces, updates = plan(outs(), news(), NOW, lambda v: False, lambda pem: "SHA256:new")
    assert replaces == [] and updates == ["private_key"]


def test_unknown_scope_input_is_a_change_never_no_change() -> None:
    replaces, _ = run(outs(), news(installation_id=Unknown()))
    assert replaces == ["installation_id"]


def test_missing_token_or_bad_expiry_counts_as_expired() -> None:
    assert is_expired(outs(token=None), NOW)
    assert is_expired(outs(expires_at="garbage"), NOW)


def test_githubs_clock_is_ours_plus_the_offset_measured_at_mint() -> None:
    assert github_time(outs(clock_offset=-7200.0), NOW) == NOW - 7200
    assert github_time(outs(), NOW) == NOW  # state written before offsets were kept


def test_dead_only_when_provably_so_on_githubs_clock() -> None:
    assert is_dead(outs(token=None, clock_offset=0.0), NOW)
    assert is_dead(outs(expires_at=stamp(-10), clock_offset=0.0), NOW)
    assert not is_dead(outs(expires_at=stamp(-1), clock_offset=0.0), NOW)  # margin: ask
    assert not is_dead(outs(expires_at=stamp(-10)), NOW)  # no offset: GitHub decides
    assert not is_dead(outs(expires_at="garbage", clock_offset=0.0), NOW)


def test_reasons_say_why() -> None:
    why = reasons(outs(expires_at=stamp(1500)), news(permissions={"contents": "write"}), NOW,
                  lambda v: False, lambda pem: "SHA256:new")
    assert why == {
        "permissions": "permissions changed",
        "expires_at": "expires in 1500 s, within renew_before (1800 s)",
        "private_key": "private_key rotated (its fingerprint differs)",
    }
    assert reasons(outs(expires_at=stamp(-1)), news(), NOW, lambda v: False,
                   lambda pem: "SHA256:old") == {"expires_at": "the token has expired"}


# --- finding 8: renewal converges for tokens GitHub grants for less than renew_before --------

@pytest.mark.parametrize(("lifetime", "left", "due"), [
    (900, 451, False), (900, 449, True),  # half of 900 s is less than renew_before (1800 s)
    (3600, 1801, False), (3600, 1799, True),  # GitHub's hour: renew_before decides
    (None, 1801, False), (None, 1799, True),  # state written before `lifetime`: renew_before
])
def test_renewal_starts_at_the_lesser_of_renew_before_and_half_the_lifetime(
    lifetime: float | None, left: float, due: bool
) -> None:
    olds = outs(expires_at=stamp(left), lifetime=lifetime, clock_offset=0.0)
    assert due_for_renewal(olds, 1800, NOW) is due
    assert (run(olds, news())[0] == ["expires_at"]) is due


def test_a_short_lived_token_renews_once_per_half_life_not_on_every_run() -> None:
    """A `pulumi up` every minute for two hours, GitHub granting 900 s, renew_before 1800."""
    state, mints = outs(expires_at=stamp(900), lifetime=900.0, clock_offset=0.0), 0
    for minute in range(1, 121):
        now = NOW + 60 * minute
        if plan(state, news(), now, lambda v: False, lambda pem: "SHA256:old")[0]:
            mints += 1
            state = outs(expires_at=stamp(60 * minute + 900), lifetime=900.0, clock_offset=0.0)
    assert mints == 15  # at minutes 8, 16, ... 120: the first run past 450 s each time


def test_the_reason_names_half_the_lifetime() -> None:
    why = reasons(outs(expires_at=stamp(400), lifetime=900.0, clock_offset=0.0), news(), NOW,
                  lambda v: False, lambda pem: "SHA256:old")
    assert why == {"expires_at": "expires in 400 s, within half its granted lifetime (450 s, "
                                 "less than renew_before)"}


# --- finding 7: an offset that does not fit never freezes expiry decisions -------------------

def test_an_absurd_offset_in_state_is_not_believed() -> None:
    """State written before the check: `Date: 1970` gave clock_offset ~ -1.8e9."""
    frozen = outs(expires_at=stamp(-60), clock_offset=-1.8e9)
    assert github_time(frozen, NOW) == NOW
    assert run(frozen, news())[0] == ["expires_at"], "renewed on this machine's clock"
    assert not is_dead(frozen, NOW), "GitHub is asked rather than a clock no one believes"
    year_later = outs(expires_at=stamp(3600), clock_offset=-1.8e9)
    assert not due_for_renewal(year_later, 1800, NOW)
    assert due_for_renewal(year_later, 1800, NOW + 3600 * 24 * 365)


def test_an_expiry_later_than_github_grants_is_renewed() -> None:
    assert due_for_renewal(outs(expires_at=stamp(10 * 3600), clock_offset=0.0), 1800, NOW)
    assert reasons(outs(expires_at=stamp(7200), clock_offset=0.0), news(), NOW,
                   lambda v: False, lambda pem: "SHA256:old") == {
        "expires_at": "expires in 7200 s, later than GitHub grants (3600 s)"}
