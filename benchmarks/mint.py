"""Mint one installation token: us against the floor and the peers, interleaved in rounds.

Every side mints for the same installation on the same emulator process. Each round runs every
side once, in a rotated order, so machine noise hits all sides alike. A side's time per mint is
the median over rounds of (wall time / mints); p95 is over every single call's latency.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .emulator import EmulatorProcess

Mint = Callable[[], object]


@dataclass
class Side:
    name: str
    mint: Mint
    calls_cap: int | None = None
    """Fewer calls per round for sides that throttle themselves (PyGithub's defaults)."""
    per_op: list[float] = field(default_factory=list)
    cpu_per_op: list[float] = field(default_factory=list)
    """CPU seconds of this process per mint: the client's own work, without the emulator's."""
    latencies: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.per_op)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_per_op)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def floor_side(gh: EmulatorProcess) -> Mint:
    """PyJWT + requests, the least any client must do: key parsed once, JWT reused."""
    import jwt
    import requests
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from requests.adapters import HTTPAdapter

    key = load_pem_private_key(gh.private_key_pem.encode(), password=None)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=16))
    url = f"{gh.base_url}/app/installations/{gh.installation_id}/access_tokens"
    signed: list[tuple[str, float]] = []

    def bearer() -> str:
        now = time.time()
        if not signed or signed[0][1] - now < 60:
            claims = {"iat": int(now) - 60, "exp": int(now) + 540, "iss": str(gh.app_id)}
            signed[:] = [(jwt.encode(claims, key, algorithm="RS256"), now + 540)]
        return signed[0][0]

    def mint() -> object:
        response = session.post(url, headers={
            "Authorization": f"Bearer {bearer()}", "Accept": "application/vnd.github+json",
        }, timeout=30)
        if response.status_code != 201:
            raise RuntimeError(f"floor: {response.status_code}")
        return response.json()["token"]

    return mint


def client_side(gh: EmulatorProcess) -> Mint:
    from github_app_token.client import GitHubAppClient

    client = GitHubAppClient(gh.app_id, gh.private_key_pem, gh.base_url)
    return lambda: client.create_token(gh.installation_id).token


def provider_side(gh: EmulatorProcess) -> Mint:
    from github_app_token.provider import InstallationTokenProvider

    provider = InstallationTokenProvider()
    # As the engine hands them over: numbers as floats, the secret unwrapped.
    props = {
        "app_id": float(gh.app_id), "private_key": gh.private_key_pem,
        "installation_id": float(gh.installation_id), "base_url": gh.base_url,
        "client_id": None, "owner": None, "repository": None, "repositories": None,
        "repository_ids": None, "permissions": None, "renew_before": None,
        "revoke_on_delete": None,
    }
    return lambda: provider.create(dict(props)).outs["token"]


def pygithub_side(gh: EmulatorProcess, throttle: bool) -> Mint:
    from github import Auth, GithubIntegration

    options = {} if throttle else {"seconds_between_requests": None,
                                   "seconds_between_writes": None}
    integration = GithubIntegration(
        auth=Auth.AppAuth(gh.app_id, gh.private_key_pem), base_url=gh.base_url, pool_size=16,
        **options,
    )
    return lambda: integration.get_access_token(gh.installation_id).token


def githubkit_side(gh: EmulatorProcess) -> Mint:
    from githubkit import AppAuthStrategy, GitHub

    github = GitHub(AppAuthStrategy(str(gh.app_id), gh.private_key_pem),
                    base_url=gh.base_url + "/")
    return lambda: github.rest.apps.create_installation_access_token(
        gh.installation_id).parsed_data.token


def sides(gh: EmulatorProcess, peers: str = "all") -> list[Side]:
    """The floor first (ratios are to it), then us, then `peers`: "all", "pygithub" or "none"."""
    found = [
        Side("floor", floor_side(gh)),
        Side("create_token", client_side(gh)),
        Side("provider.create", provider_side(gh)),
    ]
    if peers in ("all", "pygithub"):
        found.append(Side("PyGithub", pygithub_side(gh, throttle=False)))
    if peers == "all":
        found += [
            # Its default throttle keeps writes 1 s apart: a few calls say enough.
            Side("PyGithub defaults", pygithub_side(gh, throttle=True), calls_cap=3),
            Side("githubkit", githubkit_side(gh)),
        ]
    return found


def _timed(mint: Mint) -> float:
    started = time.perf_counter()
    mint()
    return time.perf_counter() - started


def _run(side: Side, calls: int, pool: ThreadPoolExecutor | None) -> None:
    calls = min(calls, side.calls_cap or calls)
    cpu, started = time.process_time(), time.perf_counter()
    if pool is None:
        latencies = [_timed(side.mint) for _ in range(calls)]
    else:
        latencies = list(pool.map(lambda _i: _timed(side.mint), range(calls)))
    side.per_op.append((time.perf_counter() - started) / calls)
    side.cpu_per_op.append((time.process_time() - cpu) / calls)
    side.latencies += latencies


def measure(
    gh: EmulatorProcess, *, concurrency: int, latency: float, rounds: int, calls: int,
    peers: str = "all",
) -> list[Side]:
    """Per-side results at one concurrency and one added latency."""
    gh.set_latency(latency)
    found = sides(gh, peers)
    pool = ThreadPoolExecutor(concurrency) if concurrency > 1 else None
    try:
        for side in found:  # warm-up: connections, JWTs, lazy imports
            _run(side, min(calls, concurrency * 2), pool)
            side.per_op.clear()
            side.cpu_per_op.clear()
            side.latencies.clear()
        for index in range(rounds):
            shift = index % len(found)
            for side in found[shift:] + found[:shift]:
                _run(side, calls, pool)
    finally:
        if pool is not None:
            pool.shutdown()
        gh.set_latency(0)
    return found
