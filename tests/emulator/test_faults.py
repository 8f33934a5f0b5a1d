"""Injected faults: the emulator as a hostile server when a test asks for one."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from github_app_emulator import Emulator, Ledger

from ..support.github import (
    bearer,
    error_body,
    host_port,
    mint,
    new_token,
    sign,
    token_auth,
)


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# ---- error, with Retry-After -----------------------------------------------------------------


def test_error_with_retry_after(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("error", status=503, retry_after=3600)
    gh.inject("error", status=500)
    first = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert (first.status_code, first.headers["Retry-After"]) == (503, "3600")
    assert first.json() == error_body("Service Unavailable")
    second = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert second.status_code == 500 and "Retry-After" not in second.headers
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200


# ---- malformed 201s and the ledger -----------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        ("no-expires-at", lambda b: "expires_at" not in b and isinstance(b["token"], str)),
        ("expires-at-not-date", lambda b: b["expires_at"] == "in an hour"),
        ("expires-at-number", lambda b: b["expires_at"] == 3600),
        ("array", lambda b: isinstance(b, list) and isinstance(b[0]["token"], str)),
        ("permissions-not-object", lambda b: b["permissions"] == ["contents:read"]),
        ("repositories-not-list", lambda b: b["repositories"] == "all"),
    ],
)
def test_malformed_201_that_still_holds_a_live_token(
    gh: Emulator, http_session: requests.Session, variant: str, check
) -> None:
    gh.inject("malformed", variant=variant)
    response = mint(gh, http_session, {"permissions": {"contents": "read"}})
    assert response.status_code == 201
    assert check(response.json())
    [token] = gh.live_tokens()
    assert token in response.text
    assert gh.ledger() == Ledger(minted=1, revoked=0, expired=0, live=1)
    # The client can still revoke what it was given.
    revoke = http_session.delete(f"{gh.base_url}/installation/token", headers=token_auth(token))
    assert revoke.status_code == 204
    assert gh.ledger() == Ledger(minted=1, revoked=1, expired=0, live=0)


def test_malformed_truncated_body_is_not_json_but_holds_the_token(
    gh: Emulator, http_session: requests.Session
) -> None:
    gh.inject("malformed")  # "truncated" is the default variant
    response = mint(gh, http_session)
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    [token] = gh.live_tokens()
    assert response.text.startswith('{"token":"' + token + '"')
    assert gh.ledger().live == 1


@pytest.mark.parametrize("variant", ["no-token", "token-not-string"])
def test_malformed_201_without_a_token_mints_nothing(
    gh: Emulator, http_session: requests.Session, variant: str
) -> None:
    gh.inject("malformed", variant=variant)
    response = mint(gh, http_session)
    assert response.status_code == 201
    assert not isinstance(response.json().get("token"), str)
    assert gh.live_tokens() == [] and gh.ledger() == Ledger(0, 0, 0, 0)
    assert [r.token_id for r in gh.requests] == [1]  # the log still knows it happened


def test_malformed_leaves_other_answers_alone(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("malformed", count=2, variant="no-token")
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200
    refused = mint(gh, http_session, jwt_token="a.b.c")  # still faulted, but not a 201
    assert refused.status_code == 401 and refused.json()["message"]
    assert "token" not in mint(gh, http_session).json()
    assert isinstance(mint(gh, http_session).json()["token"], str)  # the fault is used up


def test_ledger_counts_minted_revoked_expired_live(
    gh: Emulator, http_session: requests.Session
) -> None:
    assert gh.ledger() == Ledger(minted=0, revoked=0, expired=0, live=0)
    tokens = [new_token(gh, http_session) for _ in range(3)]
    http_session.delete(f"{gh.base_url}/installation/token", headers=token_auth(tokens[0]))
    gh.shift_clock(3601)
    fresh = new_token(gh, http_session)
    assert gh.ledger() == Ledger(minted=4, revoked=1, expired=2, live=1)
    assert gh.live_tokens() == [fresh]
    over_http = http_session.get(f"{gh.base_url}/_emulator/ledger").json()
    assert over_http == {"minted": 4, "revoked": 1, "expired": 2, "live": 1}


# ---- trickling bodies ------------------------------------------------------------------------


def test_trickle_sends_the_body_one_byte_at_a_time(gh: Emulator) -> None:
    gh.inject("trickle", delay=0.02)
    host, port = host_port(gh)
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        started, reads, data = time.monotonic(), 0, b""
        while chunk := sock.recv(4096):
            data += chunk
            reads += 1
        elapsed = time.monotonic() - started
    head, _, body = data.partition(b"\r\n\r\n")
    assert json.loads(body) == error_body("Not Found")
    assert int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0]) == len(body)
    assert elapsed >= (len(body) - 1) * 0.02 * 0.9
    assert reads > len(body) // 2  # it really came in pieces


def test_trickle_defeats_a_per_read_timeout(gh: Emulator, http_session: requests.Session) -> None:
    """Each byte arrives well within the read timeout, yet the whole body takes far longer."""
    gh.inject("trickle", delay=0.05)
    started = time.monotonic()
    response = http_session.get(f"{gh.base_url}/nope", timeout=0.5)
    assert response.status_code == 404 and response.json() == error_body("Not Found")
    assert time.monotonic() - started > 1.0


def _server_threads() -> int:
    return sum(1 for t in threading.enumerate() if "process_request" in t.name)


def test_trickle_forever_stops_when_the_client_leaves(gh: Emulator) -> None:
    before = _server_threads()
    gh.inject("trickle", variant="forever", status=201, delay=0.01, path="/access_tokens")
    with requests.Session() as session:
        response = mint(gh, session, stream=True, timeout=5)
        assert response.status_code == 201
        assert response.headers["Transfer-Encoding"] == "chunked"
        received = b""
        for chunk in response.iter_content(1):
            received += chunk
            if len(received) >= 20:
                break
        assert received.strip() == b""
        response.close()
    assert gh.ledger().minted == 0  # no handler ran: nothing was minted
    assert _wait_for(lambda: _server_threads() <= before), "the trickling thread lives on"


def test_trickle_forever_stops_with_the_emulator() -> None:
    before = _server_threads()
    emulator = Emulator().start()
    emulator.inject("trickle", variant="forever", delay=0.01)
    sock = socket.create_connection(host_port(emulator), timeout=5)
    try:
        sock.sendall(b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
        emulator.stop()
        assert _wait_for(lambda: _server_threads() <= before), "the trickling thread lives on"
    finally:
        sock.close()


# ---- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_another_origin(
    gh: Emulator, http_session: requests.Session, status: int
) -> None:
    with Emulator() as elsewhere:
        gh.inject("redirect", status=status, location=elsewhere.base_url)
        response = mint(gh, http_session, {"permissions": {}}, allow_redirects=False)
        target = f"{elsewhere.base_url}/app/installations/{gh.installation_id}/access_tokens"
        assert response.status_code == status
        assert response.headers["Location"] == target
        assert response.json()["url"] == target
        assert gh.ledger().minted == 0
        assert elsewhere.requests == []


def test_redirect_keeps_the_query_and_the_ghes_prefix(
    gh: Emulator, http_session: requests.Session
) -> None:
    gh.inject("redirect", location="https://elsewhere.example/")
    response = http_session.get(
        f"{gh.base_url}/api/v3/installation/repositories?per_page=1", allow_redirects=False
    )
    assert response.headers["Location"] == (
        "https://elsewhere.example/api/v3/installation/repositories?per_page=1"
    )


def test_same_origin_redirect(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("redirect", status=308, path="/access_tokens")
    first = mint(gh, http_session, allow_redirects=False)
    assert first.headers["Location"] == (
        f"{gh.base_url}/app/installations/{gh.installation_id}/access_tokens"
    )
    followed = mint(gh, http_session)  # requests follows a 308 with the same method and body
    assert followed.status_code == 201


# ---- a middlebox -----------------------------------------------------------------------------


@pytest.mark.parametrize(("variant", "content_type"), [(None, "text/html"), ("text", "text/plain")])
def test_middlebox_401_is_not_github(
    gh: Emulator, http_session: requests.Session, variant: str | None, content_type: str
) -> None:
    gh.inject("middlebox", variant=variant)
    response = mint(gh, http_session)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith(content_type)
    assert "401 Unauthorized" in response.text
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert response.headers["Server"] == "nginx"
    assert int(response.headers["Content-Length"]) == len(response.content)
    github_headers = [h for h in response.headers if h.lower().startswith(("x-github", "x-rate"))]
    assert github_headers == [] and "Access-Control-Allow-Origin" not in response.headers
    assert gh.ledger().minted == 0
    assert mint(gh, http_session).status_code == 201


# ---- errors, delays, resets, rate limits ---------------------------------------------------


def test_fault_error_then_recovery(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("error")
    gh.inject("error", 2, status=500)
    url = f"{gh.base_url}/app"
    statuses = [http_session.get(url, headers=bearer(sign(gh))) for _ in range(4)]
    assert [r.status_code for r in statuses] == [502, 500, 500, 200]
    assert statuses[0].json() == error_body("Bad Gateway")
    assert statuses[1].json() == error_body("Internal Server Error")
    assert "x-ratelimit-limit" in statuses[0].headers and "Date" in statuses[0].headers


def test_fault_path_filter(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("error", status=503, path="/access_tokens")
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200
    assert mint(gh, http_session).status_code == 503
    assert mint(gh, http_session).status_code == 201


def test_fault_delay_times_out_clients(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("delay", delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)), timeout=0.3)
    assert time.monotonic() - started < 0.9
    slow_start = time.monotonic()
    gh.inject("delay", delay=0.4)
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)), timeout=5)
    assert response.status_code == 200 and time.monotonic() - slow_start >= 0.4


def test_fault_reset_drops_the_connection(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("reset", path="/access_tokens")
    with pytest.raises(requests.ConnectionError):
        mint(gh, http_session)
    assert mint(gh, http_session).status_code == 201
    records = [r for r in gh.requests if r.path.endswith("/access_tokens")]
    assert [r.status for r in records] == [0, 201]
    assert records[0].token_id is None  # nothing was minted by the reset request


def test_fault_reset_is_a_tcp_rst(gh: Emulator) -> None:
    """A reset, not a polite close: the client's read fails with ECONNRESET, not EOF."""
    gh.inject("reset")
    host, port = gh.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            data = sock.recv(1024)
            assert data != b"", "the server closed politely (FIN) instead of resetting"
            raise AssertionError(f"got a response: {data[:40]!r}")


@pytest.mark.parametrize("status", [403, 429])
def test_fault_secondary_rate_limit(
    gh: Emulator, http_session: requests.Session, status: int
) -> None:
    gh.inject("secondary", status=status, retry_after=7)
    response = mint(gh, http_session)
    assert response.status_code == status
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {
        "documentation_url": "https://docs.github.com/en/free-pro-team@latest/rest/overview/"
        "resources-in-the-rest-api#secondary-rate-limits",
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
        "you try again.",
    }
    assert int(response.headers["x-ratelimit-remaining"]) > 0
    assert mint(gh, http_session).status_code == 201


def test_fault_primary_rate_limit(gh: Emulator, http_session: requests.Session) -> None:
    token = new_token(gh, http_session)
    gh.inject("primary", retry_after=30)
    gh.inject("primary", status=429)
    url = f"{gh.base_url}/installation/repositories"
    first = http_session.get(url, headers=token_auth(token))
    assert first.status_code == 403
    assert (
        first.json()["message"]
        == f"API rate limit exceeded for installation ID {gh.installation_id}."
    )
    assert first.headers["x-ratelimit-remaining"] == "0"
    reset = int(first.headers["x-ratelimit-reset"])
    assert gh.now() + 29 <= reset <= gh.now() + 32
    second = mint(gh, http_session)  # the installation id comes from the path
    assert second.status_code == 429
    assert (
        second.json()["message"]
        == f"API rate limit exceeded for installation ID {gh.installation_id}."
    )
    assert http_session.get(url, headers=token_auth(token)).status_code == 200


# ---- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "meteor"},
        {"kind": "error", "count": 0},
        {"kind": "error", "count": True},
        {"kind": "primary", "status": 500},
        {"kind": "error", "status": 200},
        {"kind": "error", "retry_after": -1},
        {"kind": "delay", "delay": -1},
        {"kind": "delay", "delay": float("inf")},
        {"kind": "reset", "status": 500},
        {"kind": "malformed", "variant": "sideways"},
        {"kind": "malformed", "status": 500},
        {"kind": "trickle", "status": 500},  # only the endless trickle takes a status
        {"kind": "trickle", "variant": "forever", "status": 100},
        {"kind": "redirect", "status": 200},
        {"kind": "redirect", "location": "ftp://elsewhere"},
        {"kind": "redirect", "location": "elsewhere.example"},
        {"kind": "middlebox", "variant": "json"},
        {"kind": "error", "path": 3},
    ],
)
def test_fault_arguments_are_checked(gh: Emulator, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        gh.inject(**kwargs)


def test_faults_over_http(gh: Emulator, http_session: requests.Session) -> None:
    control = f"{gh.base_url}/_emulator/faults"
    fault = {"kind": "malformed", "variant": "array"}
    assert http_session.post(control, json=fault).json() == {"queued": 1, "kind": "malformed"}
    assert isinstance(mint(gh, http_session).json(), list)
    for bad in ({"kind": "malformed", "variant": "nope"}, {"kind": "error", "colour": "red"}, {}):
        response = http_session.post(control, json=bad)
        assert response.status_code == 400 and response.json()["message"]
