"""secret_shape: which values a face must never let an IaC tool print beside a failure."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from github_app_token.secret_shape import secret_shaped

from .support.pasted import pasted

PASTED = pasted()


@pytest.mark.parametrize("value", [
    PASTED.token,
    PASTED.jwt,
    PASTED.key,
    PASTED.key.replace("\n", "\\n"),  # a key pasted with its newlines escaped
    "\n".join(PASTED.key.splitlines()[1:-1]),  # a key's body without its PEM lines
    PASTED.key.splitlines()[3],  # one line of it
    f"  {PASTED.token}\n",
    "github_pat" + "_" + secrets.token_hex(20),
    "gh" + "p_" + secrets.token_hex(18),
    secrets.token_hex(20),  # a legacy 40-hex token (GitHub Enterprise Server)
    "v1." + secrets.token_hex(20),
    "-----BEGIN" + " PUBLIC KEY-----",  # any PEM block, even a public key
], ids=["token", "jwt", "pem", "escaped-pem", "pem-body", "pem-line", "padded-token",
        "fine-grained-pat", "classic-pat", "40-hex", "v1-token", "public-pem"])
def test_secrets_are_recognised(value: str) -> None:
    assert secret_shaped(value)


@pytest.mark.parametrize("value", [
    [PASTED.token],
    {"contents": PASTED.jwt},
    {PASTED.token: "read"},  # a map's keys are printed too
    ("a", ["b", {"c": PASTED.key}]),
    PASTED.token.encode(),
])
def test_secrets_nested_anywhere_are_recognised(value: Any) -> None:
    assert secret_shaped(value)


@pytest.mark.parametrize("value", [
    None, 123, 12.0, True, "", "octo-org", "octo-org/infra", "infra",
    "https://api.github.com", "https://github.example.com/api/v3",
    "http://127.0.0.1:8080/api/v3", "Iv23liABCDEF1234", "not a key",
    {"contents": "read", "issues": "write"}, ["infra", "docs"], [1, 2, 3],
    "a-repository-name.with-dots.and-dashes_and_underscores",
])
def test_ordinary_inputs_are_not(value: Any) -> None:
    assert not secret_shaped(value)


def test_a_deep_structure_is_walked_without_recursion() -> None:
    deep: Any = PASTED.token
    for _ in range(10_000):
        deep = [deep]
    assert secret_shaped(deep)
