"""`InstallationToken`'s two call styles, typed as Pulumi's generated SDKs type them.

`InstallationToken(name, args, opts)` and `InstallationToken(name, opts, *, app_id=..., ...)`:
the keyword overload repeats the declaration so that IDEs complete each input, and mypy
checks a program written in either style.
"""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import pulumi
import pytest

from github_app_token import InstallationToken, InstallationTokenArgs
from github_app_token.declaration import INPUTS

from .test_resource import PEM, Mocks, RecordingMonitor, registration

GOOD = '''import pulumi
from github_app_token import InstallationToken, InstallationTokenArgs

cfg = pulumi.Config()
a = InstallationToken("a", app_id=123, private_key=cfg.require_secret("privateKey"),
                      installation_id=456, repositories=["infra"],
                      permissions={"contents": "read"})
b = InstallationToken("b", InstallationTokenArgs(owner="octo-org"), pulumi.ResourceOptions())
c = InstallationToken("c", pulumi.ResourceOptions(depends_on=[a]), repository="octo-org/infra",
                      renew_before=600, revoke_on_delete=False)
token: pulumi.Output[str] = a.token
'''
BAD = '''from github_app_token import InstallationToken

InstallationToken("a", app_id=123, instalation_id=456)
InstallationToken("b", installation_id=456, renew_before="soon")
'''


def overloads() -> dict[str, inspect.Signature]:
    found = [inspect.signature(f) for f in typing.get_overloads(InstallationToken.__init__)]
    return {"args" if "args" in s.parameters else "keywords": s for s in found}


def test_the_keyword_overload_is_the_declaration() -> None:
    keywords = overloads()["keywords"]
    kw_only = {name: p for name, p in keywords.parameters.items()
               if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert list(kw_only) == [spec.name for spec in INPUTS]
    # Same types as InstallationTokenArgs (annotations are strings: `from __future__`).
    assert {n: p.annotation for n, p in kw_only.items()} == {
        f.name: f.type for f in fields(InstallationTokenArgs)}
    assert all(p.default is None for p in kw_only.values())
    assert list(keywords.parameters)[:3] == ["self", "resource_name", "opts"]
    assert list(overloads()["args"].parameters) == ["self", "resource_name", "args", "opts"]


@pytest.fixture
def monitor(monkeypatch) -> RecordingMonitor:
    for name in ("GITHUB_APP_ID", "GITHUB_APP_INSTALLATION_ID", "GITHUB_APP_PEM_FILE",
                 "GITHUB_APP_PRIVATE_KEY", "GITHUB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    asyncio.set_event_loop(asyncio.new_event_loop())
    recorder = RecordingMonitor(Mocks())
    pulumi.runtime.set_mocks(Mocks(), preview=False, monitor=recorder)
    return recorder


@pulumi.runtime.test
def test_options_then_keywords(monitor: RecordingMonitor):
    tok = InstallationToken("ci", pulumi.ResourceOptions(protect=True), app_id=123,
                            private_key=PEM, installation_id=456)

    def check(_: Any) -> None:
        request = registration(monitor)
        assert request.protect and request.object["installation_id"] == 456

    return tok.token.apply(check)


@pulumi.runtime.test
def test_args_then_options_by_position_and_by_name(monitor: RecordingMonitor):
    args = InstallationTokenArgs(app_id=123, private_key=PEM, owner="octo-org")
    tok = InstallationToken("ci", args, pulumi.ResourceOptions(protect=True))
    named = InstallationToken("cd", args=args, opts=pulumi.ResourceOptions(protect=True))

    def check(_: Any) -> None:
        requests = [r for r in monitor.registered if r.type != "pulumi:pulumi:Stack"]
        assert [(r.protect, r.object["owner"]) for r in requests] == [(True, "octo-org")] * 2

    return pulumi.Output.all(tok.token, named.token).apply(check)


def test_args_and_keywords_together_are_refused() -> None:
    with pytest.raises(TypeError, match="not both"):
        InstallationToken("ci", InstallationTokenArgs(owner="octo-org"), app_id=123)
    with pytest.raises(TypeError, match="neither"):
        InstallationToken("ci", {"owner": "octo-org"})  # type: ignore[call-overload]


def test_mypy_checks_the_keyword_style(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context",
         "--cache-dir", str(tmp_path / "cache"), "good.py", "bad.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith("good.py")], result.stdout
    assert any('bad.py:3: error: Unexpected keyword argument "instalation_id"' in e
               and 'did you mean "installation_id"' in e for e in errors), result.stdout
    assert any(e.startswith("bad.py:4:") for e in errors), result.stdout
