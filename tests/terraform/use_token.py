"""What a `local-exec` provisioner runs in the tests: use the ephemeral token once.

Reads TOKEN and BASE_URL from its environment (the provisioner's `environment`, which may
hold ephemeral values), lists the installation's repositories with the token, and appends
the HTTP status and the token to files under EVIDENCE, outside OpenTofu's folders, so a test
knows the token worked and can search every artifact for its exact bytes.
"""

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

token, evidence = os.environ["TOKEN"], Path(os.environ["EVIDENCE"])
request = urllib.request.Request(os.environ["BASE_URL"] + "/installation/repositories",
                                 headers={"Authorization": f"Bearer {token}"})
try:
    with urllib.request.urlopen(request, timeout=30) as reply:
        status = reply.status
except urllib.error.HTTPError as err:
    status = err.code
evidence.mkdir(parents=True, exist_ok=True)
with open(evidence / "status.log", "a") as out:
    out.write(f"{status}\n")
with open(evidence / "tokens.log", "a") as out:
    out.write(token + "\n")
sys.exit(0 if status == 200 else 1)
