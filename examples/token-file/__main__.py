"""A token consumed by another resource: written to a 0600 file, rewritten on every renewal.

`TokenFile` is a small dynamic resource of this example's own. Because it depends on
`token.token`, `pulumi up` updates it with the new token whenever the token is
re-minted, before the old token is revoked.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from github_app_token import InstallationToken


def _write(path: str, token: str) -> dict[str, Any]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    os.chmod(path, 0o600)
    # The state records a digest, never the token itself.
    return {"path": path, "token_sha256": hashlib.sha256(token.encode()).hexdigest()}


class TokenFileProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(props["path"], _write(props["path"], props["token"]))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        token = news.get("token")
        stale = not isinstance(token, str) or (
            hashlib.sha256(token.encode()).hexdigest() != olds.get("token_sha256"))
        moved = news.get("path") != olds.get("path")
        return DiffResult(changes=stale or moved, replaces=["path"] if moved else [])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_write(news["path"], news["token"]))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if os.path.exists(props["path"]):
            os.remove(props["path"])


class TokenFile(Resource, module="example", name="TokenFile"):
    path: pulumi.Output[str]
    token_sha256: pulumi.Output[str]

    def __init__(self, name: str, path: str, token: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TokenFileProvider(), name,
                         {"path": path, "token": token, "token_sha256": None}, opts)


config = pulumi.Config()
token = InstallationToken(
    "ci",
    app_id=config.require_int("appId"),
    private_key=config.require_secret("privateKey"),
    installation_id=config.require_int("installationId"),
    base_url=config.get("baseUrl"),
    permissions={"contents": "read"},
)
# (not "tokenPath": `pulumi config set` takes a key named like a token for a secret)
token_file = TokenFile("ci-token-file", config.require("filePath"), token.token)

pulumi.export("filePath", token_file.path)
pulumi.export("tokenSha256", token_file.token_sha256)
pulumi.export("expiresAt", token.expires_at)
