"""The engine benchmark's program: `count` resources of one `kind`, all with the same inputs.

Kinds: `token` (InstallationToken), `trivial` (the same non-secret inputs on a resource whose
create returns at once), `trivial-key` (trivial, plus the same secret private key) and
`trivial-plain` (trivial, its pickled provider not stored as a secret) and `token-config`
(InstallationToken with no key input: the provider reads it once from stack config).
"""

import pulumi

config = pulumi.Config()
kind = config.require("kind")
count = config.require_int("count")
inputs = {
    "app_id": config.require_int("appId"),
    "installation_id": config.require_int("installationId"),
    "base_url": config.require("baseUrl"),
}
key = config.get_secret("privateKey")

if kind in ("token", "token-config"):
    from github_app_token import InstallationToken

    for index in range(count):
        InstallationToken(f"r{index}", private_key=key if kind == "token" else None, **inputs)
else:
    from benchmarks.trivial import Trivial

    props = {**inputs, "private_key": key} if kind == "trivial-key" else inputs
    for index in range(count):
        Trivial(f"r{index}", props, plain=kind == "trivial-plain")
