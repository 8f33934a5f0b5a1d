"""The ledger: every token GitHub (the emulator) holds live is one a state holds, and back.

Minted minus revoked (minus expired) at the emulator must equal the live tokens in state,
after every scenario: no token lost, none orphaned. Failures name serials, never tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def held_tokens(outs: Iterable[dict[str, Any]]) -> list[str]:
    """The `token` of each output dict (resources in state, provider outputs)."""
    return [o["token"] for o in outs if o and o.get("token")]


def assert_ledger(gh: Any, held: Iterable[str]) -> None:
    """The emulator's live tokens are exactly `held`."""
    held = set(held)
    live = set(gh.live_tokens())
    orphaned = sorted(gh.token_id(t) or 0 for t in live - held)
    stale = sorted(gh.token_id(t) or 0 for t in held - live)
    assert not orphaned, f"live at GitHub but in no state (orphaned): serials {orphaned}"
    assert not stale, f"in state but not live at GitHub: serials {stale}"
    ledger = getattr(gh, "ledger", None)
    if callable(ledger):
        counts = ledger()
        minted, revoked = counts["minted"], counts["revoked"]
        expired = counts.get("expired", 0)
        assert minted - revoked - expired == len(held), f"ledger {counts} vs {len(held)} held"
