"""The transport: routing, GitHub's headers, rate-limit counters, keep-alive, bad requests."""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import (
    MSG_UNDECODABLE,
    TOKENS,
    bearer,
    error_body,
    host_port,
    mint,
    new_token,
    sign,
    token_auth,
)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/app/installations/456/access_tokens"),
        ("POST", "/app"),
        ("GET", "/"),
    ],
)
def test_unknown_routes(
    gh: Emulator, http_session: requests.Session, method: str, path: str
) -> None:
    response = http_session.request(method, gh.base_url + path, headers=bearer(sign(gh)))
    assert response.status_code == 404
    assert response.json() == error_body("Not Found")


def test_every_response_has_github_headers(gh: Emulator, http_session: requests.Session) -> None:
    ok = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    unauthorized = http_session.get(f"{gh.base_url}/app", headers=bearer("a.b.c"))
    missing = http_session.get(f"{gh.base_url}/nope")
    for response in (ok, unauthorized, missing):
        headers = response.headers
        assert parsedate_to_datetime(headers["Date"]).timestamp() == pytest.approx(gh.now(), abs=3)
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert int(headers["Content-Length"]) == len(response.content)
        assert headers["x-github-api-version-selected"] == "2022-11-28"
        assert re.fullmatch(r"[0-9A-F:]+", headers["x-github-request-id"])
        assert headers["x-ratelimit-resource"] == "core"
        assert int(headers["x-ratelimit-reset"]) == (int(gh.now()) // 3600 + 1) * 3600
    assert ok.headers["x-github-request-id"] != missing.headers["x-github-request-id"]
    assert ok.headers["x-ratelimit-limit"] == "5000"
    assert unauthorized.headers["x-ratelimit-limit"] == "60"


def test_rate_limit_counts_per_identity(gh: Emulator, http_session: requests.Session) -> None:
    jwt_token = sign(gh)
    used = [
        http_session.get(f"{gh.base_url}/app", headers=bearer(jwt_token)).headers for _ in range(3)
    ]
    assert [h["x-ratelimit-used"] for h in used] == ["1", "2", "3"]
    assert [h["x-ratelimit-remaining"] for h in used] == ["4999", "4998", "4997"]
    token = mint(gh, http_session, jwt_token=jwt_token).json()["token"]  # app's 4th request
    listed = http_session.get(f"{gh.base_url}/installation/repositories", headers=token_auth(token))
    assert listed.headers["x-ratelimit-used"] == "1"  # the installation has its own budget
    gh.shift_clock(3600)  # a new emulator hour starts a new window
    fresh = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert fresh.headers["x-ratelimit-used"] == "1"


def test_keep_alive_reuses_one_connection(gh: Emulator) -> None:
    host, port = gh.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", "/app", headers=bearer(sign(gh)))
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())["id"] == gh.app_id
        sock = conn.sock
        conn.request("GET", "/nope")
        second = conn.getresponse()
        assert second.status == 404 and json.loads(second.read())["message"] == "Not Found"
        assert conn.sock is sock and sock is not None
    finally:
        conn.close()


def test_stop_closes_pooled_connections() -> None:
    with requests.Session() as session:
        with Emulator() as gh:
            url = f"{gh.base_url}/nope"
            assert session.get(url).status_code == 404
        with pytest.raises(requests.ConnectionError):
            session.get(url, timeout=2)


def test_ghes_style_prefix_serves_the_same_api(gh: Emulator, http_session) -> None:
    response = http_session.get(gh.base_url + "/api/v3/app", headers=bearer(sign(gh)))
    assert response.status_code == 200
    assert response.json()["id"] == gh.app_id


# ---- malformed requests get a 4xx, never a dropped connection ---------------------------------


def _raw(gh: Emulator, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes; return the status, headers and body of the one answer."""
    with socket.create_connection(host_port(gh), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def _post(path: str, headers: str, body: bytes = b"") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode() + body


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ("Content-Length: " + "1" + "0" * 23 + "\r\n", b"", 413),
        ("Content-Length: -5\r\n", b"", 400),
        ("Content-Length: five\r\n", b"", 400),
        ("Content-Length: 5_0\r\n", b"", 400),
        ("Content-Length: 2\r\nContent-Length: 3\r\n", b"{}", 400),
        (f"Content-Length: {(1 << 20) + 1}\r\n", b"", 413),
        ("Content-Length: 10\r\n", b"{}", 400),  # the body ends early
        ("Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n", 400),
        ("Transfer-Encoding: chunked\r\n", b"2\r\n{}}\r\n0\r\n\r\n", 400),  # chunk too long
        ("Transfer-Encoding: chunked\r\n", b"fffffff\r\n", 413),
        ("Transfer-Encoding: chunked\r\n", b"2\r\n{}", 400),  # never finished
        ("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", b"{}", 400),
        ("Transfer-Encoding: gzip\r\n", b"{}", 400),
    ],
)
def test_bad_framing_gets_a_4xx(gh: Emulator, headers: str, body: bytes, status: int) -> None:
    request = _post(TOKENS.format(installation_id=456), headers, body)
    code, response_headers, answer = _raw(gh, request)
    assert code == status
    assert json.loads(answer)["message"].startswith(("Problems parsing", "Request body is larger"))
    assert response_headers["Connection"] == "close"
    assert gh.requests == []  # refused before anything else happened


def test_chunked_bodies_are_understood(gh: Emulator) -> None:
    body = json.dumps({"permissions": {"contents": "read"}}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:]))
    headers = f"Authorization: Bearer {sign(gh)}\r\nTransfer-Encoding: chunked\r\n"
    request = _post(TOKENS.format(installation_id=456), headers, chunked + b"0\r\n\r\n")
    code, _, answer = _raw(gh, request)
    assert code == 201 and json.loads(answer)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("path", [TOKENS.format(installation_id=456), "/_emulator/faults"])
def test_deeply_nested_json_is_a_400(
    gh: Emulator, http_session: requests.Session, path: str
) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    headers = {**bearer(sign(gh)), "Content-Type": "application/json"}
    response = http_session.post(gh.base_url + path, data=nested, headers=headers)
    assert response.status_code == 400
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200


def test_a_5000_digit_issuer_names_no_app(gh: Emulator, http_session: requests.Session) -> None:
    huge = "9" * 5000
    as_string = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh, iss=huge)))
    assert (as_string.status_code, as_string.json()["message"]) == (404, "Integration not found")
    as_number = _jwt_with_payload(gh, b'{"iss":' + huge.encode() + b"}")
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(as_number))
    assert (response.status_code, response.json()["message"]) == (401, MSG_UNDECODABLE)


def _jwt_with_payload(gh: Emulator, payload: bytes) -> str:
    header = sign(gh).split(".")[0]
    return f"{header}.{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.c2ln"


@pytest.mark.parametrize("part", ["header", "payload"])
def test_a_deeply_nested_jwt_is_a_401(
    gh: Emulator, http_session: requests.Session, part: str
) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    if part == "payload":
        token = _jwt_with_payload(gh, deep)
    else:
        header = base64.urlsafe_b64encode(deep).decode().rstrip("=")
        token = header + "." + sign(gh).split(".", 1)[1]
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(token))
    assert (response.status_code, response.json()["message"]) == (401, MSG_UNDECODABLE)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/app/installations/" + "4" * 5000, 404),
        ("POST", "/app/installations/" + "4" * 5000 + "/access_tokens", 404),
        ("GET", "/app/installations/" + "٤٥٦", 404),  # Arabic-Indic digits are not an id
        ("POST", "/_emulator/installations/" + "4" * 5000 + "/permissions", 404),
    ],
)
def test_absurd_ids_in_the_path(
    gh: Emulator, http_session: requests.Session, method: str, path: str, status: int
) -> None:
    headers = {**bearer(sign(gh)), "Content-Type": "application/json"}
    response = http_session.request(method, gh.base_url + path, headers=headers, data=b"{}")
    assert response.status_code == status and response.json()["message"]


def test_absurd_page_numbers_fall_back_to_defaults(
    gh: Emulator, http_session: requests.Session
) -> None:
    token = new_token(gh, http_session)
    url = f"{gh.base_url}/installation/repositories?per_page={'9' * 5000}&page=-1"
    response = http_session.get(url, headers=token_auth(token))
    assert response.status_code == 200 and response.json()["total_count"] == 3


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"BREW /app HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"GET /app HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /app HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ],
)
def test_requests_http_server_refuses_answer_in_json(
    gh: Emulator, request_bytes: bytes, status: int
) -> None:
    code, headers, body = _raw(gh, request_bytes)
    assert code == status
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["documentation_url"] == "https://docs.github.com/rest"


def test_an_unexpected_exception_is_a_github_shaped_500(
    gh: Emulator, http_session: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from github_app_emulator import routes

    def broken(*args: Any) -> None:
        raise RuntimeError("a bug in the emulator")

    monkeypatch.setattr(routes, "dispatch", broken)
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert response.status_code == 500
    assert response.json() == error_body("Server Error")
    # The emulator closes this connection: it must say so, or the client reuses a dying one.
    assert response.headers.get("Connection") == "close"
    monkeypatch.undo()
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200
