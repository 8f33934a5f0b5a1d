"""Everything the emulator knows: apps and keys, accounts, repositories, installations, tokens,
the clock, queued faults, rate-limit counters and the request log.

Lock discipline: `State.lock` (re-entrant) guards all of it, and State takes it nowhere itself.
Exactly two layers take it: the HTTP handler (server.py), once to take a fault and once to
serve a request, never while sleeping or writing; and the control surface (`Emulator`, in
control.py), once per operation. The queues, counters and log it holds are unlocked too.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from . import jwt_auth, keys, tokens
from . import permissions as perms
from .clock import Clock
from .errors import MSG_BAD_CREDENTIALS, ApiError, unauthorized
from .faults import FaultQueue
from .model import (
    Account,
    AccountType,
    App,
    AuthKind,
    Installation,
    RegisteredKey,
    Repository,
    Token,
    TokenState,
)
from .ratelimit import ANONYMOUS_LIMIT, AUTHENTICATED_LIMIT, RateCounter
from .requestlog import RequestLog
from .scoping import Scope


@dataclass(frozen=True)
class Auth:
    """Who a request authenticated as; `error` is what to answer if the route needs auth."""

    kind: AuthKind
    app: App | None = None
    token: Token | None = None
    token_id: int | None = None  # of a presented token, even when it is not live
    error: ApiError | None = None

    def rate_identity(self) -> tuple[str, int]:
        if self.kind == "jwt" and self.app is not None:
            return f"app:{self.app.id}", AUTHENTICATED_LIMIT
        if self.kind == "token" and self.token is not None:
            # Installation tokens share their installation's budget (docs/github-behaviour.md §5).
            return f"installation:{self.token.installation_id}", AUTHENTICATED_LIMIT
        return "anonymous", ANONYMOUS_LIMIT


@dataclass(frozen=True)
class Ledger:
    """Tokens minted, and what became of them: `minted == revoked + expired + live`."""

    minted: int
    revoked: int  # revoked before they expired
    expired: int
    live: int


class State:
    """The emulated world. Not thread-safe by itself: callers hold `lock` (see the module)."""

    def __init__(
        self, token_lifetime: float = 3600, token_format: tokens.TokenFormat = "stateless"
    ) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.token_lifetime = token_lifetime
        self.token_format = tokens.check_format(token_format)
        self.apps: dict[int, App] = {}
        self.accounts: dict[str, Account] = {}  # keyed by lower-case login
        self.repos: dict[int, Repository] = {}
        self.installations: dict[int, Installation] = {}
        self.faults = FaultQueue()
        self.rates = RateCounter()
        self.log = RequestLog()
        self._tokens: dict[str, Token] = {}  # by exact value
        # Stable, readable ids: app 123, installation 456 (then 457, ...), as in the docs' examples.
        self._ids = {
            "app": 123,
            "installation": 456,
            "repo": 700_000_001,
            "account": 5_000_001,
            "token": 1,
        }

    def now(self) -> float:
        return self.clock.now()

    def _next(self, kind: str, wanted: int | None = None) -> int:
        """The next free id of `kind`, or `wanted` (later ones then follow it)."""
        value = self._ids[kind] if wanted is None else wanted
        self._ids[kind] = max(self._ids[kind], value + 1)
        return value

    # ---- registry -------------------------------------------------------------------------

    def account(self, login: str, account_type: AccountType = "Organization") -> Account:
        found = self.accounts.get(login.lower())
        if found is None:
            found = Account(self._next("account"), login, account_type, self.now())
            self.accounts[login.lower()] = found
        elif found.type != account_type:
            raise ValueError(f"{login} is a {found.type}, not a {account_type}")
        return found

    def repository(self, owner: Account, name: str, private: bool = True) -> Repository:
        for repo in self.repos.values():
            if repo.owner is owner and repo.name.lower() == name.lower():
                return repo
        repo = Repository(self._next("repo"), name, owner, private, self.now())
        self.repos[repo.id] = repo
        return repo

    def create_app(
        self,
        name: str,
        slug: str,
        owner: Account,
        permissions: dict[str, str],
        events: Iterable[str],
        key: rsa.RSAPublicKey,
        *,
        app_id: int | None = None,
        client_id: str | None = None,
    ) -> App:
        """Register an app with one public key."""
        if app_id in self.apps:
            raise ValueError(f"app {app_id} exists already")
        app = App(
            self._next("app", app_id),
            client_id or "Iv1." + secrets.token_hex(8),
            slug,
            name,
            owner,
            perms.check_grant(permissions),
            list(events),
            self.now(),
        )
        self.apps[app.id] = app
        self.add_key(app.id, key)
        return app

    def add_key(self, app_id: int, key: rsa.RSAPublicKey) -> None:
        self.apps[app_id].keys.append(RegisteredKey(key, keys.fingerprint(key)))

    def remove_key(self, app_id: int, key: rsa.RSAPublicKey) -> None:
        fingerprint = keys.fingerprint(key)
        app = self.apps[app_id]
        remaining = [k for k in app.keys if k.fingerprint != fingerprint]
        if len(remaining) == len(app.keys):
            raise ValueError("that key is not registered for this app")
        app.keys = remaining

    def add_installation(
        self,
        app_id: int,
        account: Account,
        repositories: list[Repository] | None,
        permissions: dict[str, str] | None,
        suspended_by: Account | None = None,
        installation_id: int | None = None,
    ) -> Installation:
        """Install an app; `repositories=None` is selection "all" (whatever the account owns)."""
        app = self.apps[app_id]
        for inst in self.installations.values():
            if inst.app_id == app_id and inst.account is account:
                raise ValueError(f"app {app_id} is already installed on {account.login}")
        if installation_id in self.installations:
            raise ValueError(f"installation {installation_id} exists already")
        granted = perms.check_grant(app.permissions if permissions is None else permissions)
        now = self.now()
        inst = Installation(
            self._next("installation", installation_id),
            app_id,
            account,
            "all" if repositories is None else "selected",
            [] if repositories is None else [repo.id for repo in repositories],
            granted,
            list(app.events),
            now,
            now,
        )
        if suspended_by is not None:
            inst.suspended_at, inst.suspended_by = now, suspended_by
        self.installations[inst.id] = inst
        return inst

    def set_permissions(self, installation_id: int, permissions: dict[str, str]) -> None:
        inst = self.installations[installation_id]
        inst.permissions = perms.check_grant(permissions)
        inst.updated_at = self.now()

    def reachable_repos(self, inst: Installation) -> list[Repository]:
        if inst.repository_selection == "all":
            owned = (r for r in self.repos.values() if r.owner is inst.account)
            return sorted(owned, key=lambda r: r.id)
        return [self.repos[i] for i in inst.repository_ids]

    def installation_of(self, app_id: int, login: str) -> Installation | None:
        account = self.accounts.get(login.lower())
        for inst in self.installations.values():
            if inst.app_id == app_id and inst.account is account:
                return inst
        return None

    # ---- authentication -------------------------------------------------------------------

    def authenticate(self, header: str | None) -> Auth:
        if not header:
            return Auth("none")
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() not in ("bearer", "token") or not credential:
            return Auth("invalid", error=unauthorized(MSG_BAD_CREDENTIALS))
        # By exact value first: a stateless token is JWT-shaped after its `ghs_<id>_`.
        token = self._tokens.get(credential)
        if token is None and jwt_auth.looks_like_jwt(credential):
            try:
                return Auth("jwt", app=jwt_auth.verify_app_jwt(credential, self.apps, self.now()))
            except ApiError as error:
                return Auth("invalid", error=error)
        if token is None:
            return Auth("invalid", error=unauthorized(MSG_BAD_CREDENTIALS))
        if self.token_state(token) != "live":
            # §3: expired and revoked tokens both get 401 Bad credentials.
            return Auth("invalid", token_id=token.id, error=unauthorized(MSG_BAD_CREDENTIALS))
        return Auth("token", token=token, token_id=token.id)

    # ---- tokens ---------------------------------------------------------------------------

    def mint(self, inst: Installation, scope: Scope) -> Token:
        # §2: expires_at has second precision and is issue time + lifetime (1 h on GitHub).
        issued_at = int(self.now())
        expires_at = issued_at + round(self.token_lifetime)
        value = tokens.new_token(self.token_format, inst.app_id, inst.id, issued_at, expires_at)
        token = Token(
            self._next("token"),
            value,
            inst.id,
            expires_at,
            scope.permissions,
            scope.repository_ids,
            scope.repository_selection,
        )
        self._tokens[value] = token
        return token

    def find_token(self, value: str) -> Token | None:
        return self._tokens.get(value)

    def all_tokens(self) -> list[Token]:
        return list(self._tokens.values())

    def token_repos(self, token: Token) -> list[Repository]:
        reachable = self.reachable_repos(self.installations[token.installation_id])
        if token.repository_ids is None:
            return reachable
        return [r for r in reachable if r.id in token.repository_ids]

    def token_state(self, token: Token) -> TokenState:
        if token.revoked:
            return "revoked"
        return "expired" if self.now() >= token.expires_at else "live"

    def revoke(self, token: Token) -> None:
        token.revoked = True

    def unmint(self, token_id: int) -> None:
        """Forget a token as if never issued (a malformed-201 fault whose body lost it)."""
        for value, token in list(self._tokens.items()):
            if token.id == token_id:
                del self._tokens[value]
