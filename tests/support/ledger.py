"""The ledger: every token GitHub (the emulator) holds live is one a state holds, and back.

Minted minus revoked (minus expired) at the emulator must equal the live tokens in state,
after every scenario: no token lost, none orphaned. Failures name serials, never tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def unwrap_secret(value: Any) -> Any:
    """A secret as a decrypted stack export writes it (`{sig, plaintext}`), unwrapped."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


def assert_ledger(gh: Any, held: Iterable[str]) -> None:
    """The emulator's live tokens are exactly `held`."""
    held = set(held)
    live = set(gh.live_tokens())
    orphaned = sorted(gh.token_id(t) or 0 for t in live - held)
    stale = sorted(gh.token_id(t) or 0 for t in held - live)
    assert not orphaned, f"live at GitHub but in no state (orphaned): serials {orphaned}"
    assert not stale, f"in state but not live at GitHub: serials {stale}"
    ledger = gh.ledger()
    assert ledger.minted == ledger.revoked + ledger.expired + ledger.live, ledger
    assert ledger.minted - ledger.revoked - ledger.expired == len(held), (
        f"{ledger} vs {len(held)} held in state")
