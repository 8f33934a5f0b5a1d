"""The control surface: the request log, the /_emulator routes, and the CLI."""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

import github_app_emulator as emulator_package
from github_app_emulator import Emulator, RequestRecord

from ..support.github import (
    bearer,
    epoch,
    mint,
    new_token,
    sign,
    token_auth,
)


def test_request_log_records_and_redacts(gh: Emulator, http_session: requests.Session) -> None:
    jwt_token = sign(gh)
    token = new_token(gh, http_session, {"permissions": {}}, jwt_token=jwt_token)
    http_session.get(
        f"{gh.base_url}/installation/repositories?per_page=1&page=1", headers=token_auth(token)
    )
    # A body that (wrongly) carries secrets must not bring them into the log.
    mint(gh, http_session, {"permissions": {}, "note": token, "jwt": jwt_token})
    http_session.get(f"{gh.base_url}/nope", headers=token_auth(token))
    http_session.get(f"{gh.base_url}/app", headers=bearer("a.b.c"))
    http_session.get(f"{gh.base_url}/app")
    records = gh.requests
    assert all(isinstance(r, RequestRecord) for r in records)
    assert [(r.method, r.path, r.status, r.auth) for r in records] == [
        ("POST", "/app/installations/456/access_tokens", 201, "jwt"),
        ("GET", "/installation/repositories", 200, "token"),
        ("POST", "/app/installations/456/access_tokens", 201, "jwt"),
        ("GET", "/nope", 404, "token"),
        ("GET", "/app", 401, "invalid"),
        ("GET", "/app", 401, "none"),
    ]
    assert records[0].token_id == records[1].token_id == gh.token_id(token) == 1
    assert records[2].token_id == 2 and records[5].token_id is None
    assert records[0].body == {"permissions": {}} and records[1].query == "per_page=1&page=1"
    assert records[2].body == {"permissions": {}, "note": "[REDACTED]", "jwt": "[REDACTED]"}
    ats = [r.at for r in records]
    assert ats == sorted(ats) and ats[0] == pytest.approx(gh.now(), abs=5)
    with pytest.raises(AttributeError):
        records[0].status = 500  # type: ignore[misc]
    exported = requests.get(f"{gh.base_url}/_emulator/log").text
    for text in (repr(records), exported):
        assert token not in text and jwt_token not in text
        assert token[4:] not in text  # not even the part after the prefix
    gh.clear_log()
    assert gh.requests == []


def test_log_time_follows_the_emulator_clock(gh: Emulator, http_session: requests.Session) -> None:
    gh.shift_clock(86400)
    http_session.get(f"{gh.base_url}/nope")
    assert gh.requests[-1].at == pytest.approx(time.time() + 86400, abs=3)


def test_http_controls(gh: Emulator, http_session: requests.Session) -> None:
    control = f"{gh.base_url}/_emulator"
    before = gh.now()
    assert http_session.post(f"{control}/clock", json={"shift": 120}).status_code == 200
    assert gh.now() - before == pytest.approx(120, abs=2)
    assert http_session.get(f"{control}/clock").json()["shift"] == 120

    assert http_session.post(f"{control}/token-lifetime", json={"seconds": 90}).status_code == 200
    assert gh.token_lifetime == 90
    token = new_token(gh, http_session)
    state = http_session.post(f"{control}/token-state", json={"token": token}).json()
    assert state == {"state": "live", "token_id": gh.token_id(token)}

    assert http_session.post(f"{control}/revoke-all", json={}).json() == {"revoked": 1}
    assert (
        http_session.post(f"{control}/token-state", json={"token": token}).json()["state"]
        == "revoked"
    )

    granted = {"contents": "read", "metadata": "read"}
    url = f"{control}/installations/{gh.installation_id}/permissions"
    assert http_session.post(url, json=granted).status_code == 200
    assert gh.permissions == granted
    assert http_session.post(url, json={"contents": "sideways"}).status_code == 400

    fault = {"kind": "error", "count": 1, "status": 504, "path": "/app"}
    assert http_session.post(f"{control}/faults", json=fault).status_code == 200
    assert http_session.get(f"{control}/log").status_code == 200  # controls are never faulted
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 504
    assert http_session.post(f"{control}/faults", json={"kind": "nope"}).status_code == 400
    assert http_session.post(f"{control}/clock", json={"shift": "soon"}).status_code == 400

    log = http_session.get(f"{control}/log").json()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/app/installations/456/access_tokens", 201),
        ("GET", "/app", 504),
    ]
    assert set(log[0]) == {"method", "path", "query", "status", "auth", "token_id", "body", "at"}
    info = http_session.get(f"{control}/info").json()
    assert (info["base_url"], info["installation_id"]) == (gh.base_url, gh.installation_id)


def _read_line(stream: Any, timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "the emulator did not announce itself in time"
    return stream.readline()


def test_cli_prints_one_json_line_and_exits_cleanly() -> None:
    # Run the very package under test (wherever it was imported from).
    provider = Path(emulator_package.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(provider)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "github_app_emulator",
            "--port",
            "0",
            "--token-lifetime",
            "900",
            "--token-format",
            "legacy",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info = json.loads(_read_line(proc.stdout, 20))
        for key in (
            "base_url",
            "app_id",
            "client_id",
            "installation_id",
            "account",
            "private_key_path",
            "permissions",
            "repositories",
        ):
            assert key in info, key
        assert info["account"] == "octo-org" and info["repositories"] == ["infra", "app", "docs"]
        key_path = Path(info["private_key_path"])
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        pem = key_path.read_text()
        now = int(time.time())
        signed = jwt.encode(
            {"iat": now - 60, "exp": now + 540, "iss": info["client_id"]}, pem, algorithm="RS256"
        )
        url = f"{info['base_url']}/app/installations/{info['installation_id']}/access_tokens"
        response = requests.post(url, headers=bearer(signed), timeout=5)
        assert response.status_code == 201
        assert response.json()["permissions"] == info["permissions"]
        token = response.json()["token"]
        assert len(token) == 40 and info["token_format"] == "legacy"
        assert epoch(response.json()["expires_at"]) - now in range(899, 902)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out == ""  # nothing after the one line
    assert token not in err and "PRIVATE KEY" not in err
    assert not key_path.exists() and not key_path.parent.exists()


# ---- only a local harness may drive the controls ---------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_control_posts_must_be_json(
    gh: Emulator, http_session: requests.Session, content_type: str | None
) -> None:
    # A page on another loopback port passes the Host/Origin check (test_server.py); the
    # JSON rule still stops its simple POSTs.
    headers = {"Origin": "http://localhost:3000"}
    if content_type:
        headers["Content-Type"] = content_type
    for route, body in (("clock", '{"shift": 3600}'), ("revoke-all", "{}")):
        response = http_session.post(
            f"{gh.base_url}/_emulator/{route}", data=body, headers=headers
        )
        assert response.status_code == 415
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert gh.clock_offset == 0


def test_control_routes_send_no_cors_headers(
    gh: Emulator, http_session: requests.Session
) -> None:
    control = f"{gh.base_url}/_emulator"
    origin = {"Origin": "http://localhost:3000"}
    answers = [
        http_session.get(f"{control}/info", headers=origin),
        http_session.get(f"{control}/nope", headers=origin),
        http_session.post(f"{control}/clock", json={"shift": "x"}, headers=origin),
        http_session.options(
            f"{control}/clock",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        ),
    ]
    assert [a.status_code for a in answers] == [200, 404, 400, 404]
    for answer in answers:
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
        assert answer.headers["Cache-Control"] == "no-store"
    # GitHub's own routes keep GitHub's CORS header.
    github = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert github.headers["Access-Control-Allow-Origin"] == "*"


def test_json_with_a_charset_is_json(gh: Emulator, http_session: requests.Session) -> None:
    response = http_session.post(
        f"{gh.base_url}/_emulator/clock",
        data=b'{"shift": 60}',
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 200 and gh.clock_offset == 60


@pytest.mark.parametrize("shift", [1e300, -1e300, 10**23, 51 * 365 * 86400, "soon", True, None])
def test_absurd_clock_shifts_are_refused(
    gh: Emulator, http_session: requests.Session, shift: Any
) -> None:
    response = http_session.post(f"{gh.base_url}/_emulator/clock", json={"shift": shift})
    assert response.status_code == 400 and response.json()["message"]
    with pytest.raises(ValueError):
        gh.shift_clock(shift)
    assert gh.clock_offset == 0
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200


def test_clock_moves_are_bounded_cumulatively(gh: Emulator) -> None:
    year = 365 * 86400
    gh.shift_clock(40 * year)
    with pytest.raises(ValueError):
        gh.shift_clock(20 * year)
    gh.shift_clock(-80 * year)
    assert gh.clock_offset == -40 * year


@pytest.mark.parametrize("seconds", [0, -1, 1e300, float("nan"), "90", 366 * 86400])
def test_absurd_token_lifetimes_are_refused(
    gh: Emulator, http_session: requests.Session, seconds: Any
) -> None:
    with pytest.raises(ValueError):
        gh.token_lifetime = seconds
    if seconds == seconds:  # NaN is not JSON
        response = http_session.post(
            f"{gh.base_url}/_emulator/token-lifetime", json={"seconds": seconds}
        )
        assert response.status_code == 400
    assert gh.token_lifetime == 3600


@pytest.mark.parametrize(
    ("route", "body", "status"),
    [
        ("clock", {"shift": 1, "extra": 2}, 400),
        ("clock", [1], 400),
        ("revoke-all", {"all": True}, 400),
        ("token-state", {"token": 5}, 400),
        ("token-state", {}, 400),
        ("faults", {"count": 1}, 400),
        ("faults", {"kind": "error", "colour": "red"}, 400),
        ("installations/999999/permissions", {"contents": "read"}, 404),
        ("installations/456/permissions", {"contents": "sideways"}, 400),
        ("installations/456/permissions", ["contents"], 400),
    ],
)
def test_bad_control_arguments(
    gh: Emulator, http_session: requests.Session, route: str, body: Any, status: int
) -> None:
    response = http_session.post(f"{gh.base_url}/_emulator/{route}", json=body)
    assert response.status_code == status and response.json()["message"]


def test_python_and_http_controls_are_one_surface(
    gh: Emulator, http_session: requests.Session
) -> None:
    """The same checks answer both ways: a ValueError in Python is a 400 over HTTP."""
    with pytest.raises(LookupError):
        gh.set_permissions(999999, {"contents": "read"})
    with pytest.raises(ValueError):
        gh.set_permissions(gh.installation_id, {"contents": "sideways"})
    with pytest.raises(ValueError):
        gh.token_state(5)  # type: ignore[arg-type]
    wrapped = {"permissions": {"issues": "read"}}
    url = f"{gh.base_url}/_emulator/installations/{gh.installation_id}/permissions"
    assert http_session.post(url, json=wrapped).json() == wrapped
    assert gh.permissions == {"issues": "read"}
