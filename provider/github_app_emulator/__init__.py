"""A local GitHub REST emulator for GitHub App installation tokens.

Standalone on purpose: it imports nothing else from `github_app_token`, so the client and the
emulator cannot share a bug. Run `python -m github_app_emulator` for the CLI.
"""

from __future__ import annotations

from .control import AppInfo, Emulator
from .model import RequestRecord
from .state import Ledger

__all__ = ["AppInfo", "Emulator", "Ledger", "RequestRecord"]
