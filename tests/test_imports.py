"""Only the hooks that call GitHub load the HTTP client: check, diff and preview stay light.

check splits `base_url` with the standard library after a strict pre-check, and
tests/test_base_url_parsers.py proves that split agrees with urllib3's, so the URL we accept
is the one the HTTP stack would connect to (tests/terraform/test_lightness.py holds the
Terraform face to the same).
"""

from __future__ import annotations

import json
import subprocess
import sys

from .support.secrets import new_rsa_pem

PROBE = r"""
import json, sys
from github_app_token import InstallationTokenProvider
provider = InstallationTokenProvider()
news = {"app_id": 1.0, "installation_id": 2.0, "private_key": sys.stdin.read()}
inputs = provider.check({}, news).inputs
assert not provider.check({}, news).failures
olds = {**inputs, "token": "t", "expires_at": "2999-01-01T00:00:00Z", "key_fingerprint": "?"}
provider.diff("id", olds, inputs)
print(json.dumps([m for m in ("requests", "urllib3", "jwt", "github_app_token.client")
                  if m in sys.modules]))
"""


def test_check_and_diff_import_no_http_stack() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], input=new_rsa_pem(), text=True,
                         capture_output=True, check=True, timeout=60).stdout
    assert json.loads(out) == []
