from __future__ import annotations

from typing import Any

import pytest

from github_app_token.inputs import check_inputs, parse_inputs

from .support.secrets import assert_no_secret, new_rsa_pem

PEM = new_rsa_pem()


class Unknown:
    """Stands for pulumi.output.Unknown; check_inputs only sees it through is_unknown."""


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"app_id": 123, "private_key": PEM, "installation_id": 456}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def failures(**overrides: Any) -> dict[str, str]:
    _, problems = check_inputs(props(**overrides), is_unknown)
    return dict(problems)


def test_minimal_inputs_get_defaults_and_ints() -> None:
    out, problems = check_inputs(props(app_id="123", installation_id=456.0))
    assert problems == []
    assert out["app_id"] == 123 and out["installation_id"] == 456
    assert out["base_url"] == "https://api.github.com"
    assert out["renew_before"] == 1800 and out["revoke_on_delete"] is True
    assert out["repositories"] is None and out["permissions"] is None


def test_engine_floats_are_normalised_everywhere() -> None:
    out, problems = check_inputs(props(repository_ids=[1.0, 22.0], renew_before=600.0))
    assert problems == []
    assert out["repository_ids"] == [1, 22] and out["renew_before"] == 600


@pytest.mark.parametrize(
    ("overrides", "prop", "fragment"),
    [
        ({"app_id": None}, "app_id", "set exactly one of app_id or client_id"),
        ({"client_id": "Iv1.x"}, "app_id", "got app_id, client_id"),
        ({"installation_id": None}, "installation_id", "set exactly one of installation_id"),
        ({"owner": "octo-org"}, "installation_id", "got installation_id, owner"),
        ({"app_id": -4}, "app_id", "positive integer"),
        ({"app_id": 1.5}, "app_id", "positive integer"),
        ({"installation_id": "abc"}, "installation_id", "positive integer"),
        ({"installation_id": None, "owner": "bad owner"}, "owner", "login"),
        ({"installation_id": None, "repository": "noslash"}, "repository", "owner/name"),
        ({"repositories": ["octo-org/infra"]}, "repositories[0]", "without its owner or '/'"),
        ({"repositories": "infra"}, "repositories", "must be a list"),
        ({"repositories": [f"r{i}" for i in range(501)]}, "repositories", "at most 500"),
        ({"repository_ids": [0]}, "repository_ids[0]", "positive repository id"),
        ({"repository_ids": list(range(1, 502))}, "repository_ids", "at most 500"),
        ({"permissions": {"contens": "read"}}, "permissions", "did you mean 'contents'"),
        ({"permissions": {"workflows": "read"}}, "permissions", "accepts write"),
        ({"permissions": ["contents"]}, "permissions", "must be a map"),
        ({"base_url": "http://github.example.com/api/v3"}, "base_url", "must use https"),
        ({"base_url": "ftp://x"}, "base_url", "must use https"),
        ({"base_url": "https://h/api/v3?x=1"}, "base_url", "query or fragment"),
        ({"renew_before": 3301}, "renew_before", "0 to 3300"),
        ({"renew_before": -1}, "renew_before", "0 to 3300"),
        ({"revoke_on_delete": "yes"}, "revoke_on_delete", "true or false"),
        ({"private_key": None}, "private_key", "is required"),
        ({"private_key": "garbage"}, "private_key", "not PEM"),
    ],
)
def test_each_problem_names_its_property(overrides: dict, prop: str, fragment: str) -> None:
    found = failures(**overrides)
    assert prop in found, found
    assert fragment in found[prop]


def test_reasons_never_quote_the_key() -> None:
    broken = PEM[:300] + "\n-----END RSA PRIVATE KEY-----"
    _, problems = check_inputs(props(private_key=broken))
    assert problems and all(p == "private_key" for p, _ in problems)
    assert_no_secret(repr(problems), PEM)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"])
def test_plain_http_is_allowed_for_loopback_only(url: str) -> None:
    out, problems = check_inputs(props(base_url=url + "/"))
    assert problems == [] and out["base_url"] == url


def test_ghes_base_url_is_kept_without_trailing_slash() -> None:
    out, _ = check_inputs(props(base_url="https://ghe.example.com/api/v3/"))
    assert out["base_url"] == "https://ghe.example.com/api/v3"


def test_unknown_values_pass_unchecked_and_unchanged() -> None:
    unknown = Unknown()
    out, problems = check_inputs(
        props(installation_id=unknown, private_key=Unknown(), repositories=[unknown]), is_unknown
    )
    assert problems == []
    assert out["installation_id"] is unknown and out["repositories"] == [unknown]


def test_unknown_selector_still_counts_as_given() -> None:
    assert "installation_id" in failures(owner=Unknown())


def test_parse_inputs_picks_the_issuer() -> None:
    assert parse_inputs(props()).issuer == 123
    assert parse_inputs(props(app_id=None, client_id="Iv1.abc")).issuer == "Iv1.abc"


def test_parse_inputs_repr_hides_the_key() -> None:
    assert_no_secret(repr(parse_inputs(props())), PEM)
