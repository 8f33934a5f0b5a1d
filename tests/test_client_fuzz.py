"""Property-based tests of everything the client parses: bodies (token, installation, error)
and headers (Date, Retry-After, x-ratelimit-*).

Through HTTP: a scripted server on loopback answers whatever hypothesis draws, and the real
client (transport, retries, deadline, revoke of a salvaged token) reads it. The only outcomes
allowed are the parsed value or a GitHubAppTokenError naming the cause; never a raw
exception, never an echoed secret, and never longer than the deadline. Directly: the pure
parsers, many more inputs. Each test prints how many inputs it tried (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from github_app_token import clock, responses
from github_app_token.client import GitHubAppClient, token_is_live
from github_app_token.errors import GitHubAppTokenError, MalformedResponseError
from github_app_token.responses import AccessToken, Installation
from github_app_token.retry import policy, requested_wait
from github_app_token.transport import BODY_CUT, Transport

from .support.hostile import SLACK
from .support.net import Scripted
from .support.secrets import assert_no_secret, new_rsa_pem

DEADLINE = 0.4
"""Short, so that most waits an answer asks for do not fit and fail at once (the fuzz stays
fast); a wait wrongly honoured then shows at once against DEADLINE + SLACK."""
FAST = policy(backoff_factor=0.01)
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
"""Multiplies the examples per test; `make test` runs 1, RELIABILITY.md's figures 20."""
TRIED: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()
HTTP = settings(max_examples=int(100 * SCALE), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PURE = settings(max_examples=int(300 * SCALE), deadline=None)
PEM = new_rsa_pem()

# ---- strategies ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=4),
    max_leaves=12,
)
tokens = st.text(st.characters(codec="ascii"), min_size=1, max_size=80).map(
    lambda t: "tok_" + t)  # never `ghs_`-shaped: nothing secret-looking is generated here
dates = st.one_of(
    st.datetimes(timezones=st.just(timezone.utc)).map(
        lambda d: d.isoformat().replace("+00:00", "Z")),
    st.datetimes().map(lambda d: d.isoformat()),
    st.from_regex(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,12})?([Zz]|[+-]\d\d:\d\d)\Z"),
    st.text(max_size=30),
)
permission_maps = st.dictionaries(st.text(max_size=12), st.sampled_from(["read", "write"]))
repository_lists = st.lists(st.fixed_dictionaries({"full_name": st.text(max_size=20)}),
                            max_size=3)


def mutated(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, json_values)


future = st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(9000, 1, 1),
                      timezones=st.just(timezone.utc)).map(
    lambda d: d.isoformat().replace("+00:00", "Z"))
valid_token_objects = st.fixed_dictionaries(
    {"token": tokens.filter(responses.usable_token), "expires_at": future},
    optional={"permissions": permission_maps, "repositories": repository_lists,
              "repository_selection": st.sampled_from(["all", "selected"])})
valid_installation_objects = st.fixed_dictionaries({
    "id": st.integers(min_value=1, max_value=2**40),
    "account": st.fixed_dictionaries({"login": st.text(max_size=20)}),
}, optional={"permissions": permission_maps,
             "repository_selection": st.sampled_from(["all", "selected"])})
token_objects = valid_token_objects | st.fixed_dictionaries({}, optional={
    "token": mutated(tokens),
    "expires_at": mutated(dates),
    "permissions": mutated(permission_maps),
    "repository_selection": mutated(st.sampled_from(["all", "selected"])),
    "repositories": mutated(repository_lists),
})
installation_objects = valid_installation_objects | st.fixed_dictionaries({}, optional={
    "id": mutated(st.integers(min_value=1, max_value=2**40)),
    "account": mutated(st.fixed_dictionaries({"login": mutated(st.text(max_size=20))})),
    "permissions": mutated(permission_maps),
    "repository_selection": mutated(st.sampled_from(["all", "selected"])),
})
error_objects = st.just({"message": "Bad credentials"}) | st.fixed_dictionaries({}, optional={
    "message": mutated(st.text(max_size=400)),
    "documentation_url": mutated(st.just("https://docs.github.com/rest")),
    "status": json_values,
})


def bodies(objects: st.SearchStrategy) -> st.SearchStrategy:
    """Raw bytes from an object: as JSON, cut short, wrapped in an array, or not JSON at all."""
    encoded = objects.map(lambda o: json.dumps(o).encode())
    return st.one_of(
        encoded,
        st.tuples(encoded, st.floats(0, 1)).map(lambda p: p[0][: int(len(p[0]) * p[1])]),
        objects.map(lambda o: json.dumps([o]).encode()),
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.integers(1, 8000).map(lambda n: b"[" * n),  # deeper than the JSON parser recurses
    )


header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
http_dates = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
    lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT"))
headers = st.fixed_dictionaries({}, optional={
    "Date": st.one_of(http_dates, header_text),
    "Retry-After": st.one_of(st.integers(0, 10**30).map(str), http_dates, header_text),
    "x-ratelimit-remaining": st.one_of(st.just("0"), header_text),
    "x-ratelimit-reset": st.one_of(st.integers(0, 10**30).map(str), header_text),
    "x-github-request-id": header_text,
})
error_statuses = st.integers(400, 599)


# ---- through HTTP --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Scripted]:
    scripted = Scripted()
    yield scripted
    scripted.close()


def client(base_url: str) -> GitHubAppClient:
    return GitHubAppClient(1, PEM, Transport(base_url, retry=FAST, timeout=DEADLINE))


def run(name: str, call, server: Scripted, *secrets: str):  # type: ignore[no-untyped-def]
    """The call's value, or its GitHubAppTokenError; anything else fails the test.

    Only the call is timed: building its client (an RSA key check, CPU-bound and slow on a
    loaded machine) happens before, outside the deadline, and so outside the bound."""
    TRIED[name] += 1
    started = time.monotonic()
    try:
        outcome = call()
    except GitHubAppTokenError as err:
        outcome = err
        credentials = [c for _, _, c in server.heard]
        assert_no_secret(str(err), PEM, *credentials, *[s for s in secrets if len(s) > 8])
    assert time.monotonic() - started < DEADLINE + SLACK
    OUTCOMES[f"{name}: {type(outcome).__name__}"] += 1
    return outcome


def cut_short(outcome: MalformedResponseError) -> bool:
    """The deadline ended the 201 or its revoke early; the error then says so.

    A loaded machine can take longer than DEADLINE for one exchange: then what arrived is
    all the client could know, and a revoke may not fit in what is left."""
    revoke_failed = isinstance(outcome.revoked, str)
    if revoke_failed:
        assert "did not finish within its deadline" in outcome.revoked, outcome.revoked
    return revoke_failed or BODY_CUT in outcome.cause


@HTTP
@given(status=st.one_of(st.just(201), error_statuses), head=headers, body=bodies(token_objects))
def test_fuzz_mint_answers(server: Scripted, status: int, head: dict, body: bytes) -> None:
    def script(method: str, path: str, credential: str):  # type: ignore[no-untyped-def]
        return (status, head, body) if method == "POST" else (204, {}, b"")

    salvaged = responses.salvage_token(body) if status == 201 else None
    app = client(server.turn(script))
    outcome = run("mint", lambda: app.create_token(7), server, salvaged or "")
    if isinstance(outcome, AccessToken):
        assert status == 201 and outcome.token == salvaged
    elif isinstance(outcome, MalformedResponseError):
        revokes = [c for m, _, c in server.seen if m == "DELETE"]
        if cut_short(outcome):
            assert revokes in ([], [salvaged])
        else:
            assert revokes == ([salvaged] if salvaged else [])
            assert outcome.revoked is bool(salvaged)


@HTTP
@given(status=st.one_of(st.just(200), error_statuses), head=headers,
       body=bodies(installation_objects))
def test_fuzz_installation_answers(server: Scripted, status: int, head: dict, body: bytes) -> None:
    app = client(server.turn(lambda *_: (status, head, body)))
    outcome = run("installation", lambda: app.get_installation(7), server)
    assert isinstance(outcome, (Installation, GitHubAppTokenError))


@HTTP
@given(status=st.sampled_from([200, 401]) | error_statuses, head=headers,
       body=bodies(error_objects), echo=st.booleans())
def test_fuzz_error_answers(server: Scripted, status: int, head: dict, body: bytes,
                            echo: bool) -> None:
    def script(method: str, path: str, credential: str):  # type: ignore[no-untyped-def]
        # A server that repeats the credential it was sent must not make us repeat it.
        reflected = json.dumps({"message": f"bad credential {credential}"}).encode()
        return status, head, reflected if echo else body

    secret = "tok_" + "reflected-secret-value"
    api = Transport(server.turn(script), retry=FAST, timeout=DEADLINE)
    outcome = run("error", lambda: token_is_live(api, secret), server, secret)
    assert isinstance(outcome, (bool, GitHubAppTokenError))


# ---- the pure parsers, at volume -------------------------------------------------------------


@PURE
@given(body=bodies(token_objects), offset=st.one_of(st.none(), st.floats(-1e6, 1e6)))
def test_fuzz_token_parser(body: bytes, offset: float | None) -> None:
    TRIED["token parser"] += 1
    try:
        token = responses.access_token(body, offset, clock.now())
    except responses.Malformed as err:
        assert "tok_" not in str(err)
        return
    assert token.token == responses.salvage_token(body)
    assert responses.rfc3339_utc(token.expires_at).isoformat().startswith(token.expires_at[:19])


@PURE
@given(body=bodies(installation_objects))
def test_fuzz_installation_parser(body: bytes) -> None:
    TRIED["installation parser"] += 1
    try:
        installation = responses.installation(body)
    except responses.Malformed:
        return
    assert isinstance(installation.id, int) and isinstance(installation.account, str)


@PURE
@given(body=bodies(error_objects))
def test_fuzz_error_parser(body: bytes) -> None:
    TRIED["error parser"] += 1
    message, docs = responses.error_fields(body)
    assert isinstance(message, str) and (docs is None or docs.startswith("https://"))
    assert len(responses.clean(message)) <= responses.MAX_TEXT + 3


@PURE
@given(head=headers)
def test_fuzz_header_parsers(head: dict) -> None:
    TRIED["header parsers"] += 1
    wait = requested_wait(head)
    assert wait is None or wait >= 0
    offset = clock.github_offset(head.get("Date"))
    assert offset is None or isinstance(offset, float)


@PURE
@given(value=st.one_of(dates, json_values))
def test_fuzz_dates(value: object) -> None:
    TRIED["dates"] += 1
    try:
        moment = responses.rfc3339_utc(value)
    except responses.Malformed:
        return
    assert moment.tzinfo is not None


def test_zz_report_inputs_fuzzed() -> None:
    """Prints the count of inputs each fuzz test tried in this run."""
    print(f"\ninputs fuzzed: {sum(TRIED.values())} {dict(TRIED)}")
    print(f"outcomes through HTTP: {dict(sorted(OUTCOMES.items()))}")
