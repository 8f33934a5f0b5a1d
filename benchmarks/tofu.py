"""The Terraform face: start-up to the handshake, and what OpenTofu runs cost.

- **Start-up**: `terraform-provider-githubapp` spawned with go-plugin's environment until its
  handshake line, against `bare_grpclib.py` (grpclib, the same certificate and mutual-TLS set-up,
  nothing of ours). OpenTofu starts a provider process per configuration per phase, so this is
  paid about seven times per `tofu apply`.
- **OpenTofu**: `tofu apply` and a no-op `tofu plan` of COUNT managed tokens, against COUNT
  `terraform_data` resources, with the real CLI (dev_overrides, no registry). Rounds interleave
  the two configurations. The emulator's request log is read after each no-op plan.
"""

from __future__ import annotations

import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .emulator import EmulatorProcess

HERE = Path(__file__).resolve().parent
EXE = Path(sys.executable).with_name("terraform-provider-githubapp")
SOURCE = "registry.opentofu.org/githubapp/githubapp"
COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
STEPS = ("apply", "noop")

CONFIGS = {
    "token": """
terraform {
  required_providers {
    githubapp = { source = "%(source)s" }
  }
}
provider "githubapp" {}
resource "githubapp_installation_token" "t" {
  count           = %(count)d
  installation_id = %(installation_id)d
  permissions     = { contents = "read" }
  lifecycle {
    create_before_destroy = true
  }
}
""",
    "terraform_data": """
resource "terraform_data" "t" {
  count = %(count)d
  input = { installation_id = %(installation_id)d, permissions = { contents = "read" } }
}
""",
}


def _client_cert() -> str:
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1)).sign(key, hashes.SHA512()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _to_handshake(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    took = time.perf_counter() - start
    proc.kill()
    proc.wait()
    if not line.startswith(b"1|6|tcp|"):
        raise RuntimeError(f"{command[0]} did not hand-shake")
    return took


def startup(rounds: int) -> dict[str, Any]:
    """Seconds to the handshake line, ours and the bare server's, interleaved by round."""
    env = {**os.environ, "TF_PLUGIN_MAGIC_COOKIE": COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6",
           "PLUGIN_CLIENT_CERT": _client_cert(), "BARE_EXIT": "1"}
    sides = {"terraform-provider-githubapp": [str(EXE)],
             "bare grpclib": [sys.executable, str(HERE / "bare_grpclib.py")]}
    times: dict[str, list[float]] = {name: [] for name in sides}
    for command in sides.values():  # warm the page cache once
        _to_handshake(command, env)
    for index in range(rounds):
        order = list(sides.items())[:: 1 if index % 2 == 0 else -1]
        for name, command in order:
            times[name].append(_to_handshake(command, env))
    ours, bare = times.values()
    return {"seconds": {name: statistics.median(t) for name, t in times.items()},
            "ratio": statistics.median(a / b for a, b in zip(ours, bare, strict=True))}


@dataclass
class Kind:
    name: str
    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    requests: list[int] = field(default_factory=list)


def _run(tofu: Path, folder: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(tofu), *args, "-no-color", "-input=false"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=900)
    took = time.perf_counter() - start
    if done.returncode not in (0, 2) or (args[0] == "plan" and done.returncode != 0):
        raise RuntimeError(f"tofu {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return took


def engine(gh: EmulatorProcess, tofu: Path, count: int, rounds: int) -> dict[str, Any]:
    """Seconds per `tofu apply` and no-op `tofu plan` of `count` resources of each kind."""
    work = Path(tempfile.mkdtemp(prefix="bench-tofu-"))
    plugins = work / "plugins"
    plugins.mkdir()
    (plugins / EXE.name).symlink_to(EXE)
    rc = work / "tofu.rc"
    rc.write_text(f'provider_installation {{\n  dev_overrides {{\n    "{SOURCE}" = "{plugins}"\n'
                  "  }\n  direct {}\n}\n")
    key = work / "app.pem"
    key.write_text(gh.private_key_pem)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1",
           "CHECKPOINT_DISABLE": "1", "GITHUB_APP_ID": str(gh.app_id),
           "GITHUB_APP_PEM_FILE": str(key), "GITHUB_BASE_URL": gh.base_url}
    kinds = [Kind(name) for name in CONFIGS]
    try:
        for index in range(rounds):
            for kind in kinds[:: 1 if index % 2 == 0 else -1]:
                folder = work / f"{kind.name}-{index}"
                folder.mkdir()
                (folder / "main.tf").write_text(CONFIGS[kind.name] % {
                    "source": SOURCE, "count": count, "installation_id": gh.installation_id})
                kind.times["apply"].append(_run(tofu, folder, env, "apply", "-auto-approve"))
                gh.clear_log()
                kind.times["noop"].append(_run(tofu, folder, env, "plan",
                                               "-detailed-exitcode"))
                kind.requests.append(gh.request_count())
                _run(tofu, folder, env, "destroy", "-auto-approve")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    token, data = kinds
    out: dict[str, Any] = {"count": count, "rounds": rounds}
    for step in STEPS:
        out[step] = {"seconds": {k.name: statistics.median(k.times[step]) for k in kinds},
                     "token/terraform_data": statistics.median(
                         a / b for a, b in zip(token.times[step], data.times[step], strict=True))}
    out["noop"]["requests"] = {k.name: max(k.requests) for k in kinds}
    return out


def report(found: dict[str, Any]) -> None:
    start = found.get("startup")
    if start:
        print("\nterraform-provider-githubapp: spawned until its handshake line (median s)")
        for name, seconds in start["seconds"].items():
            print(f"  {name:<30}{seconds:>8.3f}")
        print(f"  ratio (paired by round): {start['ratio']:.2f}  (target <= 1.3)")
    run = found.get("engine")
    if run:
        print(f"\nOpenTofu, {run['count']} resources, real tofu CLI: median wall s over "
              f"{run['rounds']} rounds")
        for step in STEPS:
            row = run[step]
            cells = "  ".join(f"{k} {v:.2f}" for k, v in row["seconds"].items())
            print(f"  {step:<6}{cells}  ratio {row['token/terraform_data']:.2f}")
        print(f"  GitHub requests in the no-op plan: {run['noop']['requests']}")
