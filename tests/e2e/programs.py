"""Dynamic resources used by the end-to-end programs.

They live in an importable module (the e2e fixtures put the repository on the
provider's PYTHONPATH) so dill pickles them by reference, like real user code.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
import requests
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


class EchoProvider(ResourceProvider):
    """Outputs its `value` input: a stand-in for any resource whose output is unknown in preview."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("echo", {"value": props["value"]})


class Echo(Resource, module="e2e", name="Echo"):
    value: pulumi.Output[Any]

    def __init__(self, name: str, value: Any) -> None:
        super().__init__(EchoProvider(), name, {"value": value})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenUserProvider(ResourceProvider):
    """A dependent that uses the token it is given, so GitHub's log shows when it did."""

    def _use(self, props: dict[str, Any]) -> dict[str, Any]:
        url = props["base_url"].rstrip("/") + "/installation/repositories?per_page=1"
        response = requests.get(url, headers={"Authorization": f"Bearer {props['token']}"},
                                timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"the token it was given does not work: {response.status_code}")
        return {"base_url": props["base_url"], "token_sha256": _digest(props["token"])}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("user", self._use(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        token = news.get("token")
        return DiffResult(changes=not isinstance(token, str)
                          or _digest(token) != olds.get("token_sha256"))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._use(news))


class TokenUser(Resource, module="e2e", name="TokenUser"):
    token_sha256: pulumi.Output[str]

    def __init__(self, name: str, token: pulumi.Input[str], base_url: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TokenUserProvider(), name,
                         {"token": token, "base_url": base_url, "token_sha256": None}, opts)
