"""What a server asks us to wait, read on its own clock."""

from __future__ import annotations

import email.utils

import pytest

from github_app_token import clock
from github_app_token.retry import requested_wait

NOW = 1_800_000_000


def date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


@pytest.mark.parametrize("headers,wait", [
    ({}, None),
    ({"Retry-After": "30"}, 30.0),
    ({"Retry-After": " 007 "}, 7.0),
    ({"Retry-After": "9" * 400}, 1e12),  # absurd: longer than any deadline, so we fail at once
    ({"Retry-After": "\u0663\u0660"}, None),  # non-ASCII digits are not a number of seconds
    ({"Retry-After": "soon"}, None),
    ({"Retry-After": date(NOW + 90), "Date": date(NOW)}, 90.0),  # on GitHub's clock
    ({"Retry-After": date(NOW - 90), "Date": date(NOW)}, 0.0),
    ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 60), "Date": date(NOW)}, 61.0),
    ({"x-ratelimit-remaining": "1", "x-ratelimit-reset": str(NOW + 60), "Date": date(NOW)}, None),
    ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "later"}, None),
])
def test_requested_wait(headers: dict, wait: float | None) -> None:
    assert requested_wait(headers) == wait


def test_a_reset_without_date_is_read_on_the_one_clock(monkeypatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 10)}
    assert requested_wait(headers) == 11.0


@pytest.mark.parametrize("value", ["", "garbage", "Mon, 99 Foo 99999999 25:61:61 GMT", "x" * 500])
def test_bad_dates_are_none(value: str) -> None:
    assert clock.http_date(value) is None
    assert clock.github_offset(value) is None
