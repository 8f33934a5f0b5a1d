"""Reading GitHub's answers: exact cases (tests/test_client_fuzz.py covers the rest)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from github_app_token import responses
from github_app_token.responses import Malformed

TOKEN = "tok_" + "opaque-token-value-of-any-length"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
SOON = 1_893_455_000.0  # 2029-12-31T23:03:20Z: an hour less 200 s before body()'s expiry


def body(**fields: object) -> bytes:
    return json.dumps({"token": TOKEN, "expires_at": "2030-01-01T00:00:00Z", **fields}).encode()


@pytest.mark.parametrize("given,expected", [
    ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    ("2030-01-01t01:30:00.123456789+01:30", "2030-01-01T00:00:00Z"),
    ("2029-12-31T23:00:00-01:00", "2030-01-01T00:00:00Z"),
    ("2030-01-01T00:00:00z", "2030-01-01T00:00:00Z"),
])
def test_expiry_is_normalised_to_utc(given: str, expected: str) -> None:
    token = responses.access_token(body(expires_at=given), None, SOON)
    assert token.expires_at == expected and token.token == TOKEN


@pytest.mark.parametrize("value", [
    "2030-01-01", "2030-01-01T00:00:00", "2030-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "\uff12\uff10\uff13\uff10-01-01T00:00:00Z", "in an hour",
    3600, None,
])
def test_expiry_that_is_not_rfc_3339_is_refused(value: object) -> None:
    with pytest.raises(Malformed, match="expires_at"):
        responses.access_token(body(expires_at=value), None, SOON)


def test_a_token_already_expired_on_githubs_clock_is_refused() -> None:
    text = body(expires_at="2027-01-15T08:30:00Z")
    assert responses.access_token(text, 0.0, NOW).clock_offset == 0.0
    with pytest.raises(Malformed, match="already past"):
        responses.access_token(text, 3600.0, NOW)  # GitHub's clock is an hour ahead


HOUR_ON = "2027-01-15T09:00:00Z"  # NOW + 3600


@pytest.mark.parametrize(("expires_at", "offset", "expected_offset", "lifetime", "warned"), [
    (HOUR_ON, 0.5, 0.5, 3600, False),  # GitHub's Date fits: believed
    ("2027-01-15T07:00:00Z", -7199.5, -7199.5, 3600, False),  # GitHub 2 h behind: believed
    (HOUR_ON, None, 0.0, 3600, False),  # no Date, expiry fits our clock
    (HOUR_ON, -1.8e9, 0.0, 3600, True),  # `Date: 1970`: our clock instead, and said so
    (HOUR_ON, 1.8e9, 0.0, 3600, True),  # a Date decades ahead
    (HOUR_ON, -1800.0, 0.0, 3600, True),  # Date puts expires_at 90 min on: more than granted
])
def test_the_clock_offset_is_believed_only_when_it_fits_the_answer(
    expires_at: str, offset: float | None, expected_offset: float, lifetime: int, warned: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="github_app_token"):
        token = responses.access_token(body(expires_at=expires_at), offset, NOW)
    assert (token.clock_offset, token.lifetime) == (pytest.approx(expected_offset), lifetime)
    assert bool(caplog.records) is warned


def test_without_a_fitting_date_an_expiry_far_from_our_clock_is_counted_from_the_grant(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # This machine three hours behind GitHub, and a proxy that drops `Date`.
    with caplog.at_level("WARNING", logger="github_app_token"):
        token = responses.access_token(body(expires_at="2027-01-15T12:00:00Z"), None, NOW)
    assert (token.clock_offset, token.lifetime) == (3 * 3600, 3600)
    assert "the hour GitHub grants, counted from now" in caplog.text


@pytest.mark.parametrize("expires_at", ["2999-01-01T00:00:00Z", "1970-01-01T01:00:00Z"])
@pytest.mark.parametrize("offset", [None, 0.0, -1.8e9])
def test_an_expiry_more_than_a_day_from_every_clock_is_refused(
    expires_at: str, offset: float | None
) -> None:
    with pytest.raises(Malformed, match=r"more than a day|already past"):
        responses.access_token(body(expires_at=expires_at), offset, NOW)


@pytest.mark.parametrize("fields,cause", [
    ({"token": 4_000_000_000}, "token"),
    ({"token": "two words"}, "token"),
    ({"permissions": ["contents:read"]}, "permissions"),
    ({"permissions": {"contents": 1}}, "permissions"),
    ({"repositories": "all"}, "repositories"),
    ({"repositories": [{"name": "x"}]}, "repositories"),
    ({"repository_selection": 1}, "repository_selection"),
])
def test_wrong_types_name_the_field_never_the_value(fields: dict, cause: str) -> None:
    with pytest.raises(Malformed, match=cause) as info:
        responses.access_token(body(**fields), None, SOON)
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize("raw", [
    body(expires_at="soon"),
    body()[: len('{"token": "') + len(TOKEN) + 1],  # cut off right after the token
    json.dumps([json.loads(body())]).encode(),
    b'garbage {"token" : "' + TOKEN.encode() + b'", ',
])
def test_a_token_is_salvaged_from_an_unusable_answer(raw: bytes) -> None:
    assert responses.salvage_token(raw) == TOKEN


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"token": 5}', b'{"token": "a b"}', b"[" * 50_000])
def test_nothing_to_salvage(raw: bytes) -> None:
    assert responses.salvage_token(raw) is None


@pytest.mark.parametrize("raw", [
    b"[" * 50_000,  # left open: the parser would recurse until the stack is spent
    b"[" * 65 + b"]" * 65,
    b'{"a":' * 40 + b'[' * 40 + b'0' + b']' * 40 + b'}' * 40,
    b'["' + b'\\"' * 20 + b'"' + b"[" * 65,  # escaped quotes do not hide what follows
])
def test_nesting_deeper_than_github_sends_is_refused_before_parsing(raw: bytes) -> None:
    with pytest.raises(Malformed, match="nests more than 64 levels"):
        responses.decode(raw)


def test_brackets_inside_strings_are_not_nesting() -> None:
    raw = json.dumps({"message": "[" * 100 + '\\"{' * 100, "ok": [[1]]}).encode()
    assert responses.decode(raw)["ok"] == [[1]]


@pytest.mark.parametrize("raw", [
    b'["' + b'\\"' * 200_000,  # an unclosed string of escaped quotes: a scan that restarts
    b'"' * 200_000 + b"\\",  # at each quote would take minutes (the test's timeout)
])
def test_measuring_nesting_is_linear_in_the_body(raw: bytes) -> None:
    assert responses.nesting(raw) <= 1


_JSON = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text('[{"\\'), inner, max_size=3)
    ),
    max_leaves=20,
)


def _depth(value: object) -> int:
    if not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child) for child in children), default=0)


@given(_JSON)
@settings(max_examples=300, deadline=None)
def test_nesting_is_the_depth_the_parser_would_reach(value: object) -> None:
    assert responses.nesting(json.dumps(value).encode()) == _depth(value)


def test_installation_keeps_what_get_installation_needs() -> None:
    raw = json.dumps({"id": 5, "account": {"login": "octo-org"}, "permissions": {"a": "read"},
                      "repository_selection": "all", "suspended_at": None}).encode()
    installation = responses.installation(raw)
    assert installation == responses.Installation(5, "octo-org", {"a": "read"}, "all")
    for bad in ({"id": True}, {"id": 2**63}, {"id": "5"}, {"account": None}):
        with pytest.raises(Malformed):
            responses.installation(json.dumps({**json.loads(raw), **bad}).encode())


def test_server_text_is_cleaned_before_we_repeat_it() -> None:
    secret = "tok_" + "a-credential-a-server-reflected"
    text = responses.clean(f"bad {secret}\r\n\x1b[31m" + "x" * 1000, secret)
    assert secret not in text and "\x1b" not in text and "\n" not in text
    assert len(text) == responses.MAX_TEXT + 3
