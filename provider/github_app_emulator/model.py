"""The emulator's records: accounts, repositories, apps, installations, tokens, log entries."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import rsa

AccountType = Literal["Organization", "User"]
AuthKind = Literal["jwt", "token", "none", "invalid"]
TokenState = Literal["live", "revoked", "expired", "unknown"]


def legacy_node_id(kind: str, number: int) -> str:
    """GitHub's legacy global ids: base64 of e.g. `010:Repository1296269` (see spec examples)."""
    prefix = {"User": "04", "Organization": "012", "Repository": "010", "App": "03"}[kind]
    return base64.b64encode(f"{prefix}:{kind}{number}".encode()).decode("ascii")


@dataclass
class Account:
    id: int
    login: str
    type: AccountType
    created_at: float


@dataclass
class Repository:
    id: int
    name: str
    owner: Account
    private: bool
    created_at: float


@dataclass
class RegisteredKey:
    public_key: rsa.RSAPublicKey
    fingerprint: str


@dataclass
class App:
    id: int
    client_id: str
    slug: str
    name: str
    owner: Account
    permissions: dict[str, str]
    events: list[str]
    created_at: float
    keys: list[RegisteredKey] = field(default_factory=list)


@dataclass
class Installation:
    id: int
    app_id: int
    account: Account
    repository_selection: Literal["all", "selected"]
    repository_ids: list[int]  # only meaningful for "selected"; "all" follows the account
    permissions: dict[str, str]
    events: list[str]
    created_at: float
    updated_at: float
    suspended_at: float | None = None
    suspended_by: Account | None = None


@dataclass
class Token:
    id: int  # stable number the request log and tests use instead of the secret
    value: str
    installation_id: int
    # Epoch seconds: GitHub's expires_at has second precision (docs/github-behaviour.md §2).
    expires_at: int
    permissions: dict[str, str]
    repository_ids: tuple[int, ...] | None  # None: everything the installation can reach
    repository_selection: Literal["all", "selected"]
    revoked: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """One GitHub API request as seen by the emulator (control routes are not logged)."""

    method: str
    path: str
    query: str
    status: int  # 0 when the connection was reset without a response
    # The credential's own verdict: "jwt"/"token" when it verified (even if the route then
    # wanted the other kind), "invalid" when presented but rejected, "none" when absent.
    auth: AuthKind
    token_id: int | None
    body: dict[str, Any] | None
    at: float  # emulator time of arrival

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "auth": self.auth,
            "token_id": self.token_id,
            "body": self.body,
            "at": self.at,
        }
