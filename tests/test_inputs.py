from __future__ import annotations

import ast
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3

import github_app_token
from github_app_token.declaration import INPUTS, named
from github_app_token.inputs import (
    ECHOED,
    SCOPE,
    SETTINGS,
    TokenInputs,
    check_inputs,
    parse_inputs,
)
from github_app_token.validators import VALIDATORS

from .support.secrets import assert_no_secret, new_rsa_pem

PEM = new_rsa_pem()
PACKAGE = Path(github_app_token.__file__).parent


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
        ({"permissions": {"contens": "read"}}, "permissions",
         "one of its names is not a GitHub App permission; did you mean 'contents'"),
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


# --- one declaration -----------------------------------------------------------------------

def test_the_declaration_drives_validators_fields_and_groupings() -> None:
    names = [spec.name for spec in INPUTS]
    assert list(VALIDATORS) == names
    assert [f.name for f in fields(TokenInputs)] == names
    assert named("issuer", "selector", "scope") == SCOPE and named("setting") == SETTINGS
    assert set(SCOPE) | set(SETTINGS) | set(named("key")) == set(names)
    assert tuple(n for n in names if n != "private_key") == ECHOED
    out, _ = check_inputs(props())
    assert set(out) == set(names)


def test_echo_is_every_non_secret_input_as_plain_values() -> None:
    spec = parse_inputs(props(repositories=["infra"], permissions={"contents": "read"}))
    echoed = spec.echo()
    assert list(echoed) == list(ECHOED)
    assert echoed["repositories"] == ["infra"] and echoed["permissions"] == {"contents": "read"}
    assert_no_secret(repr(echoed), PEM)


def _imports(module: str) -> set[str]:
    """Modules `github_app_token.<module>` imports, directly or through sibling modules."""
    seen: set[str] = set()
    pending = [module]
    while pending:
        tree = ast.parse((PACKAGE / f"{pending.pop()}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                seen.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                seen.add(str(node.module))
            elif isinstance(node, ast.ImportFrom):
                local = [node.module] if node.module else [a.name for a in node.names]
                pending += [name for name in local if name not in seen]
                seen.update(local)
    return seen


def test_the_validator_imports_neither_http_nor_pulumi() -> None:
    imported = _imports("inputs")
    assert {"validators", "keys", "permissions", "declaration"} <= imported
    banned = {"client", "retry", "requests", "pulumi", "provider"}
    assert not {name.split(".")[0] for name in imported} & banned, imported


# --- scope is exactly what the user wrote --------------------------------------------------

@pytest.mark.parametrize(("name", "value"), [("repositories", []), ("repository_ids", []),
                                             ("permissions", {})])
def test_empty_scope_is_an_error_not_everything(name: str, value: Any) -> None:
    assert "is empty" in failures(**{name: value})[name]


@pytest.mark.parametrize(("name", "value", "prop"), [
    ("repositories", ["infra", "docs", "Infra"], "repositories[2]"),
    ("repository_ids", [7, 8.0, "7"], "repository_ids[2]"),
])
def test_duplicates_are_an_error(name: str, value: list, prop: str) -> None:
    assert "repeats" in failures(**{name: value})[prop]


def test_scope_is_kept_as_written() -> None:
    out, problems = check_inputs(props(repositories=[" infra ", "a.b"], repository_ids=["9"],
                                       permissions={"contents": "read"}))
    assert problems == []
    assert out["repositories"] == ["infra", "a.b"] and out["repository_ids"] == [9]


# --- integers ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["١٢٣", "²", "9" * 5000, 10**5000, 2**63, True, False,
                                   float("inf"), float("nan"), 1e300, "-5", "+5", "1_000",
                                   "0x10", "", 0, "0", [1], {"a": 1}],
                         ids=lambda value: type(value).__name__)  # repr(10**5000) would raise
def test_integers_are_ascii_digits_in_range(value: Any) -> None:
    started = time.perf_counter()
    found = failures(app_id=value)
    assert "positive integer" in found["app_id"]
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("value", "number"), [(456.0, 456), ("  42 ", 42), ("007", 7),
                                               (2**63 - 1, 2**63 - 1)])
def test_integers_accept_engine_floats_and_digit_strings(value: Any, number: int) -> None:
    out, problems = check_inputs(props(installation_id=value))
    assert problems == [] and out["installation_id"] == number


# --- base_url ------------------------------------------------------------------------------

CREDENTIAL = "ghp" + "_" + "Cr3d" * 9


@pytest.mark.parametrize(("url", "fragment"), [
    (f"https://user:{CREDENTIAL}@ghe.example.com/api/v3", "credentials"),
    (f"https://{CREDENTIAL}@ghe.example.com", "credentials"),
    ("https://@ghe.example.com", "credentials"),
    ("http://example.com\\@127.0.0.1:9", "backslash"),
    ("https://h\\x", "backslash"),
    ("https://h/api/v3?", "query or fragment"),
    ("https://h/api/v3#", "query or fragment"),
    (f"https://h/api/v3?token={CREDENTIAL}", "query or fragment"),
    ("https://h:99999", "port"),
    ("https://h:0", "port"),
    ("https://h:abc", "port"),
    ("https://h:", "port"),
    ("ftp://h", "must use https"),
    ("h/api/v3", "must start with https://"),
    ("https://", "no valid host"),
    ("https:///api", "no valid host"),
    ("https://h%31", "no valid host"),
    ("https://h;x/", "no valid host"),
    ("https://h/a b", "spaces"),
    ("https://münchen.de", "punycode"),
    ("https://h/api/../x", "'..' segment"),
    ("https://h/%2e%2e/x", "path"),
    ("http://github.example.com/api/v3", "must use https"),
    ("http://127.0.0.1.nip.io", "must use https"),
    ("http://[::2]:9", "must use https"),
    ("", "is empty"),
    ("https://h/" + "a" * 3000, "longer than"),
    (42, "is empty"),
])
def test_base_url_rejections_never_echo_the_url(url: Any, fragment: str) -> None:
    reason = failures(base_url=url)["base_url"]
    assert fragment in reason
    assert CREDENTIAL not in reason
    assert not isinstance(url, str) or len(url) < 10 or url not in reason


@pytest.mark.parametrize(("url", "normalised"), [
    ("HTTPS://GHE.Example.com:8443/api/v3/", "https://ghe.example.com:8443/api/v3"),
    ("https://api.github.com/", "https://api.github.com"),
    ("  https://h/api/v3//  ", "https://h/api/v3"),
    ("http://127.0.0.2:9/x", "http://127.0.0.2:9/x"),
    ("https://[2001:db8::1]:443/api/v3", "https://[2001:db8::1]:443/api/v3"),
    ("https://API.Octocorp.GHE.com/", "https://api.octocorp.ghe.com"),
    ("https://ghe.example.com/prefix/api/v3", "https://ghe.example.com/prefix/api/v3"),
    ("http://localhost:9/anything", "http://localhost:9/anything"),
])
def test_base_url_is_normalised(url: str, normalised: str) -> None:
    out, problems = check_inputs(props(base_url=url))
    assert problems == [] and out["base_url"] == normalised


@pytest.mark.parametrize("url", [
    "https://github.example.com", "https://github.example.com/", "https://github.com",
    "https://ghe.example.com/api", "https://ghe.example.com/api/v4", "https://api.github.com/v3",
    "https://octocorp.ghe.com", "https://api.a.b.ghe.com", "https://[2001:db8::1]/api",
])
def test_an_address_that_is_not_a_rest_api_root_is_refused_before_any_call(url: str) -> None:
    reason = failures(base_url=url)["base_url"]
    assert reason.startswith("is not a GitHub REST API root, which is https://api.github.com, "
                             "https://HOST/api/v3 for GitHub Enterprise Server, or "
                             "https://api.SUBDOMAIN.ghe.com for GHE.com")
    assert url.rstrip("/") not in reason


def test_base_url_agrees_with_what_requests_sends() -> None:
    # The case: urllib.parse saw host 127.0.0.1, urllib3 sees example.com.
    request = requests.Request("GET", "http://example.com\\@127.0.0.1:9/x").prepare()
    assert urllib3.util.parse_url(request.url).host == "example.com"
    assert "base_url" in failures(base_url="http://example.com\\@127.0.0.1:9")
    out, _ = check_inputs(props(base_url="https://ghe.example.com:8443/api/v3"))
    sent = requests.Request("GET", out["base_url"] + "/app").prepare().url
    assert sent == "https://ghe.example.com:8443/api/v3/app"


# --- names, permissions --------------------------------------------------------------------

@pytest.mark.parametrize("repository", ["octo-org/..", "octo-org/.", "octo-org/...", "octo-org/",
                                        "/infra", "octo-org/a/b", "o" * 40 + "/infra",
                                        "octo-org/" + "r" * 101, "-org/infra", "octo-org/a b"])
def test_bad_repositories_are_refused(repository: str) -> None:
    assert "owner/name" in failures(installation_id=None, repository=repository)["repository"]


@pytest.mark.parametrize("repository", ["octo-org/.github", "o/a.b", "O-1/_x-",
                                        "o" * 39 + "/" + "r" * 100])
def test_good_repositories_pass(repository: str) -> None:
    assert failures(installation_id=None, repository=repository) == {}


@pytest.mark.parametrize("name", ["..", ".", "...", "a/b", "r" * 101, 5, None])
def test_bad_repository_names_in_lists(name: Any) -> None:
    assert "repositories[1]" in failures(repositories=["ok", name])


@pytest.mark.parametrize(("value", "fragment"), [
    ({"contents": ["read"]}, "not this value"),
    ({"contents": {"a": 1}}, "not this value"),
    ({"contents": None}, "not this value"),
    ({"contents": "READ"}, "not this value"),
    ({"contents": "none"}, "not this value"),
    ({1: "read"}, "one of its names is not a GitHub App permission"),
    ({CREDENTIAL: "read"}, "one of its names is not a GitHub App permission"),
    ({"x" * 10_000: "read"}, "see GitHub's app-permissions list"),
    ({f"p{i}": "read" for i in range(56)}, "names 56 permissions"),
])
def test_odd_permissions_fail_cleanly(value: dict, fragment: str) -> None:
    reason = failures(permissions=value)["permissions"]
    assert fragment in reason and CREDENTIAL not in reason


def test_a_missing_keys_reason_names_no_tool() -> None:
    # Each face says where its users give the key (stack config, provider block): the core can't.
    reason = failures(private_key=None)["private_key"]
    assert "GITHUB_APP_PEM_FILE" in reason
    assert not any(tool in reason.lower() for tool in ("pulumi", "terraform", "tofu"))
