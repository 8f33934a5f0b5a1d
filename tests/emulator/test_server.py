"""The emulator as a server people run: bounded connections, controls for loopback only."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import bearer, host_port, mint, new_token, sign

IDLE = 1.0  # the idle timeout under test (the default is 30 s)
CAP = 32  # the connection cap under test (the default is 256)
# What the sweep may add to the idle timeout: its period (0.05 s) and a loaded machine.
SLACK = 2.0
HALF_SENT = b"POST /app/installations/456/access_tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"


@pytest.fixture
def bounded() -> Iterator[Emulator]:
    with Emulator(idle_timeout=IDLE, max_connections=CAP) as emulator:
        yield emulator


def _connect(gh: Emulator) -> socket.socket:
    sock = socket.create_connection(host_port(gh), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has ended `sock` (EOF or reset), waiting at most until its timeout."""
    try:
        while sock.recv(4096):
            pass  # a 503 for a connection over the cap: read it, then EOF
    except TimeoutError:
        return False
    except OSError:
        return True  # reset
    return True


def test_300_half_sent_requests_hold_at_most_the_cap_and_end_within_the_idle_timeout(
    bounded: Emulator,
) -> None:
    before = threading.active_count()
    sockets = []
    started = time.monotonic()
    try:
        for _ in range(300):
            sock = _connect(bounded)
            sock.sendall(HALF_SENT)
            sockets.append(sock)
        peak = threading.active_count() - before
        assert peak <= CAP + 1, f"{peak} threads for 300 half-sent requests"
        for sock in sockets:
            sock.settimeout(max(0.1, started + IDLE + SLACK - time.monotonic()))
            assert _closed_by_server(sock)
        took = time.monotonic() - started
    finally:
        for sock in sockets:
            sock.close()
    assert took <= IDLE + SLACK
    _wait_for(lambda: threading.active_count() <= before)
    # The server still serves afterwards.
    assert requests.get(f"{bounded.base_url}/app", headers=bearer(sign(bounded)),
                        timeout=10).status_code == 200


def _wait_for(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(bounded: Emulator) -> None:
    with _connect(bounded) as sock:
        sock.sendall(b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 404")
        sent = time.monotonic()
        sock.settimeout(IDLE + SLACK)
        assert _closed_by_server(sock)
        assert IDLE - 0.1 <= time.monotonic() - sent <= IDLE + SLACK


def test_a_request_trickled_a_byte_at_a_time_is_cut_at_the_idle_timeout(
    bounded: Emulator,
) -> None:
    """A per-read timeout would let this run forever: the whole request must fit the timeout."""
    with _connect(bounded) as sock:
        started = time.monotonic()
        sock.settimeout(0.2)
        cut = False
        for byte in HALF_SENT * 10:
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    cut = True
                    break
            except TimeoutError:
                continue
            except OSError:
                cut = True
                break
            if time.monotonic() - started > IDLE + SLACK:
                break
        assert cut and time.monotonic() - started <= IDLE + SLACK


def test_a_connection_over_the_cap_is_answered_503_at_once() -> None:
    # A long idle timeout: the held connections must not be let go while the test runs.
    with Emulator(idle_timeout=60, max_connections=CAP) as gh:
        held = [_connect(gh) for _ in range(CAP)]
        try:
            for sock in held:
                sock.sendall(HALF_SENT)
            _wait_for(lambda: gh.open_connections >= CAP)
            started = time.monotonic()
            with _connect(gh) as extra:
                extra.sendall(b"GET /app HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                extra.settimeout(5)
                answer = b""
                with contextlib.suppress(OSError):
                    while chunk := extra.recv(4096):
                        answer += chunk
            took = time.monotonic() - started
        finally:
            for sock in held:
                sock.close()
        assert took < 2.0  # at once: no read of the request, no thread
        assert answer == b"" or answer.startswith(b"HTTP/1.1 503")  # a reset may win the race
        if answer:
            assert b"Retry-After: 1" in answer and b"Connection: close" in answer
        # Once they leave, there is room again.
        _wait_for(lambda: gh.open_connections == 0)
        assert requests.get(f"{gh.base_url}/app", headers=bearer(sign(gh)),
                            timeout=10).status_code == 200


def test_a_slow_fault_is_not_cut_by_the_idle_timeout(bounded: Emulator) -> None:
    """The timeout bounds waiting for a request, not the emulator's own (faulted) answer."""
    bounded.inject("delay", delay=IDLE + 0.5, path="/app")
    response = requests.get(f"{bounded.base_url}/app", headers=bearer(sign(bounded)), timeout=10)
    assert response.status_code == 200


@pytest.mark.parametrize(("idle_timeout", "max_connections"), [(0, 8), (-1, 8), (1, 0), (1, 1.5)])
def test_bad_limits_are_refused(idle_timeout: float, max_connections: int) -> None:
    with pytest.raises(ValueError):
        Emulator(idle_timeout=idle_timeout, max_connections=max_connections)


# ---- the controls answer only loopback names (DNS-rebinding defence) -------------------------

# Every control route, with a body that would change something if it were obeyed.
CONTROL_ROUTES = [
    ("GET", "info", None),
    ("GET", "log", None),
    ("DELETE", "log", None),
    ("POST", "clear-log", {}),
    ("GET", "clock", None),
    ("POST", "clock", {"shift": 3600}),
    ("POST", "faults", {"kind": "error", "count": 5}),
    ("DELETE", "faults", None),
    ("GET", "ledger", None),
    ("POST", "revoke-all", {}),
    ("POST", "token-lifetime", {"seconds": 60}),
    ("POST", "token-state", {"token": "x"}),
    ("POST", "installations/456/permissions", {"issues": "read"}),
    ("GET", "nope", None),
]
FOREIGN = [
    {"Host": "evil.example"},
    {"Host": "evil.example:8080"},
    {"Host": "127.0.0.1.evil.example"},
    {"Host": "localhost.evil.example:80"},
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://[bad"},
]


def _control(gh: Emulator, method: str, route: str, body: object, headers: dict[str, str]):
    return requests.request(method, f"{gh.base_url}/_emulator/{route}", json=body,
                            headers=headers, timeout=10)


@pytest.mark.parametrize("headers", FOREIGN, ids=lambda h: "|".join(h.values()))
@pytest.mark.parametrize(("method", "route", "body"), CONTROL_ROUTES,
                         ids=[f"{m} {r}" for m, r, _ in CONTROL_ROUTES])
def test_every_control_route_refuses_a_foreign_host_or_origin(
    gh: Emulator, method: str, route: str, body: object, headers: dict[str, str]
) -> None:
    token = new_token(gh, requests.Session())
    answer = _control(gh, method, route, body, headers)
    assert answer.status_code == 403
    assert "loopback" in answer.json()["message"]
    assert "evil" not in answer.text and "[bad" not in answer.text  # nothing quoted back
    assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    # Nothing was obeyed.
    assert gh.clock_offset == 0 and gh.token_lifetime == 3600
    assert gh.token_state(token) == "live" and len(gh.requests) == 1
    assert gh.permissions["contents"] == "write"


def test_a_request_without_a_host_or_with_two_is_refused(gh: Emulator) -> None:
    for hosts in ([], ["127.0.0.1", "evil.example"]):
        with socket.create_connection(host_port(gh), timeout=10) as sock:
            head = "".join(f"Host: {h}\r\n" for h in hosts)
            sock.sendall(f"GET /_emulator/ledger HTTP/1.1\r\n{head}Connection: close\r\n\r\n"
                         .encode())
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 403"), hosts


@pytest.mark.parametrize("headers", [
    {},
    {"Host": "localhost"},
    {"Host": "LOCALHOST:1234"},
    {"Host": "127.0.0.1:9"},
    {"Host": "[::1]:8080"},
    {"Host": "[::1]"},
    {"Origin": "http://127.0.0.1:3000"},
    {"Origin": "http://localhost"},
    {"Origin": "https://[::1]:8443"},
], ids=lambda h: "|".join(h.values()) or "plain")
def test_loopback_names_drive_the_controls(gh: Emulator, headers: dict[str, str]) -> None:
    assert _control(gh, "GET", "ledger", None, headers).json() == {
        "minted": 0, "revoked": 0, "expired": 0, "live": 0}
    assert _control(gh, "POST", "clock", {"shift": 60}, headers).status_code == 200
    assert gh.clock_offset == 60


@pytest.mark.parametrize("headers", FOREIGN, ids=lambda h: "|".join(h.values()))
def test_githubs_own_routes_answer_any_host(gh: Emulator, headers: dict[str, str]) -> None:
    """A stack may reach the emulator by any name (a container's, a tunnel's)."""
    session = requests.Session()
    session.headers.update(headers)
    answer = session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)), timeout=10)
    assert answer.status_code == 200
    assert mint(gh, session).status_code == 201


def test_control_hosts_adds_a_name() -> None:
    with Emulator(control_hosts=["emulator", "10.0.0.7"]) as gh:
        for host in ("emulator:8080", "EMULATOR", "10.0.0.7:1"):
            assert _control(gh, "GET", "clock", None, {"Host": host}).status_code == 200
        assert _control(gh, "GET", "clock", None, {"Host": "evil.example"}).status_code == 403
        assert _control(gh, "GET", "clock", None, {"Origin": "http://emulator:3000"}
                        ).status_code == 200


@pytest.mark.parametrize("hosts", ["emulator", ["bad name"], ["host:80"], [""]])
def test_bad_control_hosts_are_refused(hosts: object) -> None:
    with pytest.raises(ValueError):
        Emulator(control_hosts=hosts)  # type: ignore[arg-type]


def test_a_client_that_resets_its_connection_is_not_reported(
    gh: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # socketserver prints a traceback for any error in a handler; a client that left is not one.
    sock = socket.create_connection(host_port(gh))
    sock.sendall(b"GET /app HTTP/1.1\r\nHost: x")  # half a request, then a TCP RST
    _wait_for(lambda: gh.open_connections == 1)  # accepted: its handler is reading
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    _wait_for(lambda: gh.open_connections == 0)  # the handler has run, and failed
    assert "Traceback" not in capsys.readouterr().err
