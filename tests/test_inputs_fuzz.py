"""Property-based tests: `check`, `parse_inputs` and key parsing over anything.

The only outcomes allowed: success, or a problem / ConfigError naming a declared property.
Never a raw exception, never a secret in a reason, never more than a second on one input,
up to about 1 MB. The counts show in pytest's terminal summary (tests/support/fuzz.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from github_app_token.declaration import BY_NAME
from github_app_token.errors import ConfigError
from github_app_token.inputs import TokenInputs, check_inputs, parse_inputs
from github_app_token.keys import load_private_key, normalize_pem
from github_app_token.permissions import CATALOGUE

from .support import fuzz
from .support.secrets import assert_no_secret, new_rsa_pem

PEM = new_rsa_pem()
MARKER = "ghs" + "_" + "S3CR3T" + "7Q" * 15  # token-shaped, built at run time only
VALID = {"app_id": 123, "private_key": PEM, "installation_id": 456}
FUZZ = settings(max_examples=700, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Unknown:
    """Stands for pulumi.output.Unknown."""


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> None:
    fuzz.report(request.config)


def _with_marker(text: str) -> str:
    return text[: len(text) // 2] + MARKER + text[len(text) // 2 :]


words = st.text(max_size=24) | st.sampled_from(
    ["", " ", "0", "-1", "123", "٣", "²", "1e3", "read", "write", "contents", "octo-org/..",
     "octo-org/.", "..", "https://h", "http://127.0.0.1:1", "https://u:p@h", "https://h:99999",
     "https://h?", "https://h#", "http://e.com\\@127.0.0.1:9",
     "-----BEGIN RSA " + "PRIVATE KEY-----"])
texts = words | words.map(_with_marker)
leaves = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
          | st.floats() | texts | st.builds(Unknown))
json_like = st.recursive(
    leaves, lambda kids: st.lists(kids, max_size=6) | st.dictionaries(texts, kids, max_size=6),
    max_leaves=20)
huge = st.builds(lambda piece, n: piece * n,
                 st.sampled_from(["a", "1", "/", " ", "\\n", "-----BEGIN A-----", MARKER, "é"]),
                 st.integers(1, 1_000_000 // 17))
huge_lists = st.builds(lambda item, n: [item] * n, leaves, st.integers(0, 20_000))
huge_maps = st.builds(lambda n: {f"p{i}": "read" for i in range(n)}, st.integers(0, 5_000))
digits = st.integers(0, 5000).map(lambda n: "9" * n)
permission_maps = st.dictionaries(st.sampled_from(sorted(CATALOGUE)) | texts,
                                  st.sampled_from(["read", "write", "admin"]) | json_like,
                                  max_size=8)
urls = st.builds(
    lambda scheme, auth, host, port, path, tail: f"{scheme}{auth}{host}{port}{path}{tail}",
    st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "", "//"]),
    st.sampled_from(["", "u:p@", "@", MARKER + "@", "u@"]),
    st.sampled_from(["h", "localhost", "127.0.0.1", "[::1]", "ex.com", "", "h%31", "a b"]),
    st.sampled_from(["", ":0", ":1", ":65535", ":65536", ":99999", ":x", ":"]),
    st.sampled_from(["", "/", "/api/v3", "/api/v3/", "/..", "/a/./b", "/%2e", "/é", "/a\\b"]),
    st.sampled_from(["", "?", "#", "?q=" + MARKER, "#f"]))
anything = json_like | huge | huge_lists | digits | permission_maps | urls | huge_maps
inputs = st.fixed_dictionaries({}, optional=dict.fromkeys(BY_NAME, anything))


def _base(prop: str) -> str:
    return re.sub(r"\[\d+\]$", "", prop)


def _assert_clean(prop: str, reason: str) -> None:
    assert _base(prop) in BY_NAME, prop
    assert isinstance(reason, str) and reason
    assert MARKER not in reason
    assert_no_secret(reason, PEM)


@FUZZ
@given(inputs)
def test_check_inputs_over_anything(overrides: dict[str, Any]) -> None:
    out, problems = fuzz.attempt("check_inputs", check_inputs, {**VALID, **overrides}, is_unknown)
    assert set(out) == set(BY_NAME)
    for prop, reason in problems:
        _assert_clean(prop, reason)


@settings(FUZZ, max_examples=300)
@given(inputs)
def test_parse_inputs_over_anything(overrides: dict[str, Any]) -> None:
    result = fuzz.attempt("parse_inputs", parse_inputs, {**VALID, **overrides},
                          expected=ConfigError)
    if isinstance(result, ConfigError):
        _assert_clean(result.property, result.reason)
        assert MARKER not in str(result)
    else:
        assert isinstance(result, TokenInputs)
        assert_no_secret(repr(result), PEM)


def _mangle(pem: str, cut: int, junk: str) -> str:
    return pem[:cut] + junk + pem[cut:]


pem_like = st.builds(
    lambda label, body, end: f"-----BEGIN {label}-----{body}{end}",
    st.sampled_from(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "A", "", "x y"]),
    texts | huge,
    st.sampled_from(["", "-----END RSA PRIVATE KEY-----", "-----END PRIVATE KEY-----", "-----"]))
key_texts = (st.text() | st.binary().map(lambda b: b.decode("latin-1")) | huge | pem_like
             | st.builds(_mangle, st.just(PEM), st.integers(0, len(PEM)), texts))


@settings(FUZZ, max_examples=1000)
@given(key_texts)
def test_key_parsing_over_anything(text: str) -> None:
    for kind, call in (("normalize_pem", normalize_pem), ("load_private_key", load_private_key)):
        result = fuzz.attempt(kind, call, text, expected=ConfigError)
        if isinstance(result, ConfigError):
            assert result.property == "private_key"
            assert MARKER not in str(result)
            assert_no_secret(str(result), PEM)
