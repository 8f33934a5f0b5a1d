"""Everything the emulator knows, behind one re-entrant lock.

Apps and their keys, accounts, repositories, installations, tokens, the clock, queued faults,
rate-limit counters and the request log. HTTP handlers take `state.lock` for a whole request
so each answer sees one consistent snapshot.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
    RequestRecord,
    Token,
    TokenState,
)
from .ratelimit import ANONYMOUS_LIMIT, AUTHENTICATED_LIMIT, RateCounter
from .scoping import Scope

# Anything token- or JWT-shaped is scrubbed from the log, known to us or not: legacy tokens
# (`ghs_` + 36), stateless ones (`ghs_<app id>_<JWT>`, dots and dashes included), bare JWTs.
_SECRET_SHAPES = re.compile(r"gh[a-z]_[\w.-]+|github_pat_\w+|eyJ[\w-]*\.[\w-]+\.[\w-]*")
REDACTED = "[REDACTED]"
_LOG_CAP = 10_000


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
            # Installation tokens share their installation's budget (BEHAVIOUR.md §5).
            return f"installation:{self.token.installation_id}", AUTHENTICATED_LIMIT
        return "anonymous", ANONYMOUS_LIMIT


def scrub(value: Any) -> Any:
    """Copy of `value` with every token/JWT-shaped string replaced."""
    if isinstance(value, str):
        return _SECRET_SHAPES.sub(REDACTED, value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


@dataclass(frozen=True)
class Ledger:
    """Tokens minted, and what became of them: `minted == revoked + expired + live`."""

    minted: int
    revoked: int  # revoked before they expired
    expired: int
    live: int


class State:
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
        self._tokens: dict[str, Token] = {}
        self._log: list[tuple[int, RequestRecord]] = []
        self._seq = 0
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

    def _next(self, kind: str) -> int:
        with self.lock:
            value = self._ids[kind]
            self._ids[kind] = value + 1
            return value

    # ---- registry -------------------------------------------------------------------------

    def account(self, login: str, account_type: AccountType = "Organization") -> Account:
        with self.lock:
            found = self.accounts.get(login.lower())
            if found is None:
                found = Account(self._next("account"), login, account_type, self.now())
                self.accounts[login.lower()] = found
            elif found.type != account_type:
                raise ValueError(f"{login} is a {found.type}, not a {account_type}")
            return found

    def repository(self, owner: Account, name: str, private: bool = True) -> Repository:
        with self.lock:
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
    ) -> tuple[App, str]:
        """Register an app with one fresh key; returns it with that key as PKCS#1 PEM."""
        with self.lock:
            app = App(
                self._next("app"),
                "Iv1." + secrets.token_hex(8),
                slug,
                name,
                owner,
                perms.check_grant(permissions),
                list(events),
                self.now(),
            )
            self.apps[app.id] = app
            return app, self.add_key(app.id, pkcs8=False)

    def add_key(self, app_id: int, *, pkcs8: bool = True) -> str:
        private = keys.generate()
        public = private.public_key()
        with self.lock:
            self.apps[app_id].keys.append(RegisteredKey(public, keys.fingerprint(public)))
        return keys.to_pem(private, pkcs8=pkcs8)

    def remove_key(self, app_id: int, pem: str) -> None:
        fingerprint = keys.fingerprint(keys.load_private(pem).public_key())
        with self.lock:
            app = self.apps[app_id]
            remaining = [k for k in app.keys if k.fingerprint != fingerprint]
            if len(remaining) == len(app.keys):
                raise ValueError("that key is not registered for this app")
            app.keys = remaining

    def add_installation(
        self,
        app_id: int,
        login: str,
        account_type: AccountType,
        repositories: list[str] | None,
        permissions: dict[str, str] | None,
        suspended: bool,
        suspended_by: Account | None = None,
    ) -> int:
        with self.lock:
            app = self.apps[app_id]
            account = self.account(login, account_type)
            for inst in self.installations.values():
                if inst.app_id == app_id and inst.account is account:
                    raise ValueError(f"app {app_id} is already installed on {login}")
            granted = perms.check_grant(app.permissions if permissions is None else permissions)
            if repositories is None:
                selection, repo_ids = "all", []
                if not any(r.owner is account for r in self.repos.values()):
                    for name in ("hello-world", "spoon-knife", "dotfiles"):
                        self.repository(account, name, private=name != "hello-world")
            else:
                selection = "selected"
                repo_ids = [self.repository(account, name).id for name in repositories]
            now = self.now()
            inst = Installation(
                self._next("installation"),
                app_id,
                account,
                selection,
                repo_ids,
                granted,
                list(app.events),
                now,
                now,
            )
            if suspended:
                inst.suspended_at = now
                inst.suspended_by = suspended_by or account
            self.installations[inst.id] = inst
            return inst.id

    def set_permissions(self, installation_id: int, permissions: dict[str, str]) -> None:
        with self.lock:
            inst = self.installations[installation_id]
            inst.permissions = perms.check_grant(permissions)
            inst.updated_at = self.now()

    def reachable_repos(self, inst: Installation) -> list[Repository]:
        with self.lock:
            if inst.repository_selection == "all":
                return sorted(
                    (r for r in self.repos.values() if r.owner is inst.account), key=lambda r: r.id
                )
            return [self.repos[i] for i in inst.repository_ids]

    def installation_of(self, app_id: int, login: str) -> Installation | None:
        with self.lock:
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
        with self.lock:
            # By exact value first: a stateless token is JWT-shaped after its `ghs_<id>_`.
            token = self._tokens.get(credential)
            if token is None and jwt_auth.looks_like_jwt(credential):
                try:
                    return Auth(
                        "jwt", app=jwt_auth.verify_app_jwt(credential, self.apps, self.now())
                    )
                except ApiError as error:
                    return Auth("invalid", error=error)
            if token is None:
                return Auth("invalid", error=unauthorized(MSG_BAD_CREDENTIALS))
            if self._state_of(token) != "live":
                # §3: expired and revoked tokens both get 401 Bad credentials.
                return Auth(
                    "invalid", token_id=token.id, error=unauthorized(MSG_BAD_CREDENTIALS)
                )
            return Auth("token", token=token, token_id=token.id)

    # ---- tokens ---------------------------------------------------------------------------

    def mint(self, inst: Installation, scope: Scope) -> Token:
        with self.lock:
            # §2: expires_at has second precision and is issue time + lifetime (1 h on GitHub).
            issued_at = int(self.now())
            expires_at = issued_at + round(self.token_lifetime)
            value = tokens.new_token(
                self.token_format, inst.app_id, inst.id, issued_at, expires_at
            )
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

    def token_repos(self, token: Token) -> list[Repository]:
        with self.lock:
            reachable = self.reachable_repos(self.installations[token.installation_id])
            if token.repository_ids is None:
                return reachable
            return [r for r in reachable if r.id in token.repository_ids]

    def _state_of(self, token: Token) -> TokenState:
        if token.revoked:
            return "revoked"
        return "expired" if self.now() >= token.expires_at else "live"

    def token_state(self, value: str) -> TokenState:
        with self.lock:
            token = self._tokens.get(value)
            return "unknown" if token is None else self._state_of(token)

    def token_id(self, value: str) -> int | None:
        with self.lock:
            token = self._tokens.get(value)
            return None if token is None else token.id

    def revoke(self, token: Token) -> None:
        with self.lock:
            token.revoked = True

    def revoke_all(self) -> int:
        with self.lock:
            live = [t for t in self._tokens.values() if self._state_of(t) == "live"]
            for token in live:
                token.revoked = True
            return len(live)

    def unmint(self, token_id: int) -> None:
        """Forget a token as if never issued (a malformed-201 fault whose body lost it)."""
        with self.lock:
            for value, token in list(self._tokens.items()):
                if token.id == token_id:
                    del self._tokens[value]

    def ledger(self) -> Ledger:
        with self.lock:
            states = [self._state_of(t) for t in self._tokens.values()]
        return Ledger(
            minted=len(states),
            revoked=states.count("revoked"),
            expired=states.count("expired"),
            live=states.count("live"),
        )

    def live_tokens(self) -> list[str]:
        with self.lock:
            return [t.value for t in self._tokens.values() if self._state_of(t) == "live"]

    # ---- request log ----------------------------------------------------------------------

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def record(
        self,
        seq: int,
        method: str,
        path: str,
        query: str,
        status: int,
        auth: AuthKind,
        token_id: int | None,
        body: bytes,
        at: float,
    ) -> None:
        try:
            parsed = json.loads(body) if body.strip() else None
        except (ValueError, UnicodeDecodeError):
            parsed = None
        entry = RequestRecord(
            method,
            scrub(path),
            scrub(query),
            status,
            auth,
            token_id,
            scrub(parsed) if isinstance(parsed, dict) else None,
            at,
        )
        with self.lock:
            self._log.append((seq, entry))
            if len(self._log) > _LOG_CAP:
                del self._log[: len(self._log) - _LOG_CAP]

    def records(self) -> list[RequestRecord]:
        with self.lock:
            return [entry for _, entry in sorted(self._log, key=lambda item: item[0])]

    def clear_log(self) -> None:
        with self.lock:
            self._log.clear()
