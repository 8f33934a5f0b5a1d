"""Benchmarks: our choices against the obvious baseline, run side by side, as ratios.

- JWT: the cached JWT (JwtCache) against signing a fresh RS256 JWT per request.
- HTTP: the shared keep-alive Session against a new Session per request, on the emulator.
- Mint: a token mint through GitHubAppClient (cached JWT, pooled connection) against a mint
  that re-parses the key, re-signs and opens a new connection every time.

Each pair runs interleaved in rounds so machine noise hits both sides alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import requests

from github_app_emulator import Emulator
from github_app_token.app_jwt import JwtCache, sign
from github_app_token.client import GitHubAppClient, token_is_live
from github_app_token.keys import load_private_key
from github_app_token.transport import Transport

ROUNDS = 5


def per_op(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def compare(name: str, baseline: Callable[[], object], ours: Callable[[], object], n: int) -> None:
    base, mine = [], []
    for _ in range(ROUNDS):
        base.append(per_op(baseline, n))
        mine.append(per_op(ours, n))
    b, m = statistics.median(base), statistics.median(mine)
    print(f"{name:<34} baseline {b * 1e3:8.3f} ms/op   ours {m * 1e3:8.3f} ms/op   "
          f"speed-up x{b / m:6.1f}")


def main() -> None:
    with Emulator() as gh:
        key = load_private_key(gh.private_key_pem)
        cache = JwtCache(gh.app_id, key)
        compare("JWT per request", lambda: sign(gh.app_id, key, time.time()),
                lambda: cache.get(time.time()), 200)

        token = GitHubAppClient(gh.app_id, gh.private_key_pem, gh.base_url).create_token(
            gh.installation_id).token

        shared = Transport(gh.base_url)
        compare("token check (GET) per request",
                lambda: token_is_live(Transport(gh.base_url), token),
                lambda: token_is_live(shared, token), 100)

        app = GitHubAppClient(gh.app_id, gh.private_key_pem, gh.base_url)

        def naive_mint() -> None:
            pem_key = load_private_key.__wrapped__(gh.private_key_pem)
            jwt = sign(gh.app_id, pem_key, time.time())
            requests.post(f"{gh.base_url}/app/installations/{gh.installation_id}/access_tokens",
                          headers={"Authorization": f"Bearer {jwt}"}, timeout=10)

        compare("token mint", naive_mint, lambda: app.create_token(gh.installation_id), 40)
        print(f"(tokens minted: {len(gh.live_tokens())}; clock offset learned: "
              f"{app.clock_offset:.0f} s)")


if __name__ == "__main__":
    main()
