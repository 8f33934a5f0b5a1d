"""A local GitHub REST emulator for GitHub App installation tokens (docs/emulator.md).

Standalone on purpose: it imports nothing else from `github_app_token`, so the client and the
emulator cannot share a bug (the one exception, `follow`, moves the runtime's clock for a
user's tests). Run `python -m github_app_emulator --help` for the CLI.

Names load on first use, so `python -m github_app_emulator.follow` starts a provider without
loading the server.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .control import AppInfo, Emulator
    from .fixture import Fixture
    from .fixture_file import FixtureError
    from .model import RequestRecord
    from .state import Ledger

_WHERE = {
    "AppInfo": "control",
    "Emulator": "control",
    "Fixture": "fixture",
    "FixtureError": "fixture_file",
    "Ledger": "state",
    "RequestRecord": "model",
}
__all__ = ["AppInfo", "Emulator", "Fixture", "FixtureError", "Ledger", "RequestRecord"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
