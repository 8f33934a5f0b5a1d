"""What each step of the Terraform face loads: never pulumi; no HTTP stack (requests, urllib3)
before the handshake, nor in validate and plan; the HTTP stack only for calls to GitHub."""

from __future__ import annotations

import json
import subprocess
import sys

from ..support.secrets import new_rsa_pem

HEAVY = ("pulumi", "requests", "urllib3", "http.client", "github_app_token.client", "jwt")

PROBE = r"""
import asyncio, datetime, json, sys
import github_app_token.terraform.server as server
loaded = {"handshake": [m for m in HEAVY if m in sys.modules]}
from github_app_token.terraform import tfplugin6_pb2 as pb
from github_app_token.terraform.values import encode
from github_app_token.terraform.schema import MANAGED_TOKEN, PROVIDER, names

service = server.ProviderService()
key = sys.stdin.read()
app = encode({"app_id": 1, "private_key": key, "base_url": "http://127.0.0.1:9"},
             names(PROVIDER))
config = encode({"installation_id": 2, "permissions": {"contents": "read"}},
                names(MANAGED_TOKEN))
prior = encode({"id": "2-x", "installation_id": 2, "permissions": {"contents": "read"},
                "renew_before": 1800, "revoke_on_delete": True, "app_id": 1,
                "base_url": "http://127.0.0.1:9", "token": "t",
                "expires_at": (datetime.datetime.now(datetime.timezone.utc)
                               + datetime.timedelta(seconds=3000)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "clock_offset": 0.0, "lifetime": 3600, "key_fingerprint": "?"},
               names(MANAGED_TOKEN))

async def calls():
    found = []
    found += (await service.ValidateProviderConfig(pb.ValidateProviderConfig.Request(
        config=app))).diagnostics
    found += (await service.ValidateResourceConfig(pb.ValidateResourceConfig.Request(
        type_name="githubapp_installation_token", config=config))).diagnostics
    found += (await service.ConfigureProvider(pb.ConfigureProvider.Request(
        config=app))).diagnostics
    for before in (pb.DynamicValue(), prior):
        found += (await service.PlanResourceChange(pb.PlanResourceChange.Request(
            type_name="githubapp_installation_token", prior_state=before, config=config,
            proposed_new_state=config))).diagnostics
    return found

found = asyncio.run(calls())
assert not found, found
loaded["validate and plan"] = [m for m in HEAVY if m in sys.modules]
print(json.dumps(loaded))
"""


def test_no_pulumi_and_no_http_stack_until_a_call_to_github() -> None:
    out = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + PROBE],
                         input=new_rsa_pem(), text=True, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"handshake": [], "validate and plan": []}
