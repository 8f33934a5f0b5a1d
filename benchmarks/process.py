"""The provider process: cold start up to the first served `Check`, its RSS, and its imports.

The process is started exactly as the engine's launcher does (`python -u -m pulumi.dynamic`),
then sent one `Check` over gRPC for a resource of each kind. A second probe loads the provider
the way `get_provider` does and lists which heavy modules `check`, `diff` and `create` pull in.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

HEAVY = ("requests", "urllib3", "jwt", "cryptography.hazmat.primitives.asymmetric.rsa",
         "cryptography.x509", "github_app_token.client")
"""Modules no path that stays off the network should need."""


@dataclass
class ColdStart:
    kind: str
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rss_mb(self) -> float:
        return statistics.median(self.rss_kb) / 1024


def _provider_and_props(kind: str, pem: str) -> tuple[Any, dict[str, Any]]:
    from pulumi.dynamic.dynamic import serialize_provider

    props: dict[str, Any] = {"app_id": 123.0, "installation_id": 456.0,
                             "base_url": "http://127.0.0.1:9"}
    if kind == "token":
        from github_app_token.provider import InstallationTokenProvider

        return serialize_provider(InstallationTokenProvider()), {**props, "private_key": pem}
    from benchmarks.trivial import TrivialProvider

    return serialize_provider(TrivialProvider()), props


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cold_start(kind: str, pem: str, env: dict[str, str]) -> tuple[float, int]:
    """Seconds from spawn to the first Check answered, and the process's RSS then."""
    import grpc
    from pulumi.runtime import proto, rpc
    from pulumi.runtime.proto import provider_pb2_grpc

    provider, props = _provider_and_props(kind, pem)
    request_props = _struct({**props, "__provider": provider}, rpc)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            reply = stub.Check(proto.CheckRequest(
                urn=f"urn:pulumi:s::p::pulumi-python:dynamic:{kind}::r", olds=_struct({}, rpc),
                news=request_props))
            elapsed = time.perf_counter() - started
            if reply.failures:
                raise RuntimeError(f"Check failed: {list(reply.failures)}")
            return elapsed, _rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _struct(props: dict[str, Any], rpc: Any) -> Any:
    import asyncio

    return asyncio.run(rpc.serialize_properties(props, {}))


def measure(pem: str, env: dict[str, str], rounds: int) -> list[ColdStart]:
    found = [ColdStart("token"), ColdStart("trivial")]
    for _ in range(rounds):
        for side in found:
            seconds, rss = cold_start(side.kind, pem, env)
            side.seconds.append(seconds)
            side.rss_kb.append(rss)
    return found


_PROBE = r"""
import base64, json, sys
import dill
import pulumi.dynamic
from pulumi.output import Unknown
heavy = json.loads(sys.argv[1]); pem = sys.stdin.read()
provider = dill.loads(base64.b64decode(sys.argv[2]))
seen = lambda: sorted(m for m in heavy if m in sys.modules)
found = {"load": seen()}
news = {"app_id": 123.0, "installation_id": 456.0, "base_url": "http://127.0.0.1:9",
        "private_key": pem}
inputs = provider.check({}, news).inputs
found["check"] = seen()
olds = {**inputs, "token": "x", "expires_at": "2999-01-01T00:00:00Z", "key_fingerprint": "?"}
provider.diff("id", olds, inputs)
found["diff"] = seen()
unknowns = dict(news, installation_id=Unknown())
provider.check({}, unknowns)
provider.diff("id", olds, unknowns)
found["preview"] = seen()
print(json.dumps(found))
"""


def imports(pem: str, env: dict[str, str]) -> dict[str, list[str]]:
    """Heavy modules loaded after unpickling the provider, then after check, diff, preview."""
    provider, _props = _provider_and_props("token", pem)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY), provider], input=pem, env=env,
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    return json.loads(out)
