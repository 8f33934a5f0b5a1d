"""Fixtures for the emulator's own tests (`gh` and `foreign_pem` come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests


@pytest.fixture
def http_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
