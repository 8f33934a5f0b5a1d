"""No message quotes a value: every reason, error and warning names inputs, never repeats them.

Distinctive marker values go into every input, through `check` and through every error path
of the client and the lifecycle against the emulator; the marker's bytes must not come back.
A source check keeps `!r` (repr of a value) out of every message the runtime formats.
"""

from __future__ import annotations

import ast
import logging
import time
from pathlib import Path
from typing import Any

import pytest

import github_app_token
from github_app_token import lifecycle
from github_app_token.errors import GitHubAppTokenError
from github_app_token.inputs import check_inputs, parse_inputs
from github_app_token.keys import load_private_key

from .support.net import Scripted
from .support.paths import REPO as ROOT
from .support.secrets import new_rsa_pem

WORD = "zqxmarker"
"""A marker no message of ours or GitHub's contains."""
NUMBER = 918273645
PEM = new_rsa_pem()
PACKAGE = Path(github_app_token.__file__).parent


def _assert_clean(text: str) -> None:
    assert WORD not in text.lower(), text
    assert str(NUMBER) not in text, text


def _bad_values() -> list[Any]:
    """Values of every shape an input can have, each carrying a marker."""
    return [
        WORD, f" {WORD}!", WORD.upper(), f"{WORD}/{WORD}", f"https://{WORD}.example",
        f"https://{WORD}.example/{WORD}", f"http://{WORD}.example/api/v3",
        f"https://u:{WORD}@h/api/v3", f"https://h/{WORD}?{WORD}", "-----BEGIN " + WORD,
        NUMBER + 0.5, -NUMBER, str(-NUMBER), f"{NUMBER}x", float(NUMBER) * 1e12,
        [WORD], [f"{WORD}/{WORD}"], [-NUMBER], [WORD, WORD], {WORD: "read"},
        {"contents": WORD}, {WORD: WORD}, {"contents": f"{NUMBER}"}, {WORD: [WORD]},
    ]


@pytest.mark.parametrize("name", [
    "app_id", "client_id", "private_key", "installation_id", "owner", "repository",
    "repositories", "repository_ids", "permissions", "base_url", "renew_before",
    "revoke_on_delete",
])
def test_no_check_reason_quotes_the_value(name: str) -> None:
    for value in _bad_values():
        props = {"app_id": 1, "private_key": PEM, "installation_id": 1, name: value}
        if name in ("owner", "repository"):
            props.pop("installation_id")
        if name == "client_id":
            props.pop("app_id")
        _, problems = check_inputs(props)
        for prop, reason in problems:
            _assert_clean(prop + reason)


_LABEL = "PRIVATE" + " KEY"  # built, so nothing key-shaped is committed


@pytest.mark.parametrize("text", [WORD, f"-----BEGIN {_LABEL}-----\n{WORD}\n-----END {_LABEL}-----",
                                  f"ssh-rsa {WORD}"])
def test_no_key_reason_quotes_the_key(text: str) -> None:
    with pytest.raises(GitHubAppTokenError) as info:
        load_private_key(text)
    _assert_clean(str(info.value))


def _spec(gh, **overrides: Any):
    props = {"app_id": gh.app_id, "private_key": gh.private_key_pem,
             "installation_id": gh.installation_id, "base_url": gh.base_url, **overrides}
    return parse_inputs({k: v for k, v in props.items() if v is not None})


def _failure(gh, **overrides: Any) -> str:
    with pytest.raises(GitHubAppTokenError) as info:
        lifecycle.mint(_spec(gh, **overrides))
    return str(info.value)


@pytest.mark.parametrize("overrides", [
    {"app_id": NUMBER},
    {"installation_id": NUMBER},
    {"installation_id": None, "owner": WORD},
    {"installation_id": None, "repository": f"{WORD}/{WORD}"},
    {"installation_id": None, "repository": f"octo-org/{WORD}"},
    {"repositories": [WORD]},
    {"repository_ids": [NUMBER]},
    {"permissions": {"administration": "write"}},
], ids=["app", "installation", "owner", "repository", "repository-name", "repositories",
        "repository-ids", "permissions"])
def test_no_api_error_quotes_an_input(gh, overrides: dict) -> None:
    _assert_clean(_failure(gh, **overrides))


def test_a_foreign_key_error_names_no_app_or_url(gh, foreign_pem) -> None:
    text = _failure(gh, private_key=foreign_pem)
    assert "does not belong" in text
    assert f"App {gh.app_id}" not in text and gh.base_url not in text


def test_a_base_url_that_is_not_the_api_root_is_not_quoted(gh) -> None:
    gh.inject("middlebox", count=10, status=404)
    _assert_clean(_failure(gh, base_url=f"{gh.base_url}/{WORD}"))


def test_a_transport_failure_quotes_no_input(gh) -> None:
    port = gh.base_url.rsplit(":", 1)[1]
    _assert_clean(_failure(gh, installation_id=NUMBER,
                           base_url=gh.base_url.replace(port, "1") + f"/{WORD}"))


def test_a_failed_revoke_quotes_no_input(gh) -> None:
    outs = lifecycle.mint(_spec(gh))
    gh.inject("error", count=10, status=500)
    with pytest.raises(GitHubAppTokenError) as info:
        lifecycle.revoke({**outs, "installation_id": NUMBER})
    _assert_clean(str(info.value))


def test_warnings_quote_no_input(caplog: pytest.LogCaptureFixture) -> None:
    """The clock warning (a 201 whose Date does not fit) is built from GitHub's answer only."""
    server = Scripted()
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    server.script = lambda method, path, credential: (
        201, {"Date": "Thu, 01 Jan 1970 00:00:00 GMT", "Content-Type": "application/json"},
        b'{"token": "t", "expires_at": "%s"}' % expires.encode())
    spec = parse_inputs({"app_id": NUMBER, "private_key": PEM, "installation_id": NUMBER,
                         "base_url": f"{server.base_url}/{WORD}"})
    try:
        with caplog.at_level(logging.WARNING, logger="github_app_token"):
            lifecycle.mint(spec)
    finally:
        server.close()
    assert caplog.records, "the Date that does not fit is reported"
    _assert_clean(caplog.text)


# --- the source: no message formats a value with repr --------------------------------------

EXEMPT: dict[tuple[str, str], str] = {}
"""(file, function) pairs allowed a `!r` for now; each must still need it (strict)."""


def _repr_sites(path: Path) -> set[tuple[str, str]]:
    """(file, function) of each `!r` in an f-string outside a `__repr__`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[tuple[str, str]] = set()
    name = str(path.relative_to(ROOT))

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if (isinstance(node, ast.FormattedValue) and node.conversion == ord("r")
                and function != "__repr__"):
            found.add((name, function))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    return found


def test_no_message_formats_a_value_with_repr() -> None:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "tools" / "pulumi-offline").glob("*.py")]
    sites = set().union(*(_repr_sites(path) for path in files))
    assert sites - set(EXEMPT) == set(), "messages name inputs; they never quote them"
    assert set(EXEMPT) <= sites, "an exemption is no longer needed: remove it from EXEMPT"
