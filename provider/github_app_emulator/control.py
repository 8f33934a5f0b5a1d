"""`Emulator`: the one control surface of the fake GitHub.

Tests and the CLI call its methods; the HTTP routes under /_emulator (admin.py) are a table
that calls the same methods. Each method checks its arguments (ValueError, or LookupError for
an unknown installation) and takes `state.lock` once (see state.py for the lock discipline).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from . import faults, fixture_file, keys
from . import fixture as fixtures
from .model import AccountType, RequestRecord, TokenState
from .server import EmulatorServer, Limits
from .state import Ledger, State
from .tokens import TokenFormat

# GitHub's tokens live an hour; anything from a second to a year keeps dates printable.
MAX_TOKEN_LIFETIME = 365 * 86400


@dataclass(frozen=True)
class AppInfo:
    """A further app registered with `Emulator.add_app`."""

    app_id: int
    client_id: str
    slug: str
    private_key_pem: str


def _world(
    given: fixtures.Fixture | Mapping[str, Any] | str | os.PathLike[str] | None,
) -> fixtures.Fixture:
    if given is None or isinstance(given, fixtures.Fixture):
        return given or fixtures.DEFAULT
    if isinstance(given, Mapping):
        return fixture_file.parse(dict(given))
    return fixture_file.load(given)


def _build(state: State, private: Any, world: fixtures.Fixture) -> fixtures.BuiltFixture:
    try:
        return fixtures.build(state, private, world)
    except ValueError as exc:  # e.g. an explicit id taken by an earlier installation
        raise fixture_file.FixtureError(f"fixture: {exc}") from None


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of seconds")
    return float(value)


class Emulator:
    """A GitHub REST emulator on loopback, serving from a background thread.

    `with Emulator() as gh:` starts it and stops it on exit; `start()`/`stop()` do the same
    by hand. The default fixture exists from construction, so ids and keys are readable
    before the server runs; `base_url` needs it running.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: float = 3600,
        token_format: TokenFormat = "stateless",
        *,
        fixture: fixtures.Fixture | Mapping[str, Any] | str | os.PathLike[str] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        idle_timeout: float = 30,
        max_connections: int = 256,
        control_hosts: Iterable[str] = (),
    ) -> None:
        """`token_format`: "stateless" (github.com since 2026: `ghs_<app id>_<JWT>`, ~520
        characters, length varies) or "legacy" (GHES: `ghs_` + 36 alphanumerics).

        `fixture`: the world (a `Fixture`, its JSON form as a dict, or the path of a JSON
        file; default: app 123 on octo-org, see docs/emulator.md); `FixtureError` names a
        mistake. `key_file`: the app's key is read from this PEM file, or made and written
        there (mode 0600) if it does not exist, so ids, client id and key survive a restart.

        `idle_timeout`: seconds a connection may take to send a whole request (from opening,
        or from the previous answer) before it is closed. `max_connections`: how many are
        served at once; one more is answered 503. `control_hosts`: host names besides
        loopback's that may drive the /_emulator routes (e.g. a container's name).
        """
        self._host, self._port = host, port
        self._limits = Limits(idle_timeout, max_connections, control_hosts)
        self._state = State(token_format=token_format)
        self.token_lifetime = token_lifetime
        world = _world(fixture)
        private = keys.generate() if key_file is None else keys.load_or_create(key_file)
        self.key_file = None if key_file is None else os.fspath(key_file)
        with self._state.lock:
            self._fixture = _build(self._state, private, world)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is None:
            self._server = EmulatorServer(
                self._host, self._port, self._state, self, self._limits
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                # stop() waits for the loop to notice; a short poll keeps test teardown quick.
                kwargs={"poll_interval": 0.01},
                name="github-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; use `with Emulator() as gh:`")
        return self._server.base_url

    @property
    def open_connections(self) -> int:
        """Connections the server holds now (each has a thread; at most `max_connections`)."""
        return 0 if self._server is None else self._server.open_connections

    # ---- the default fixture --------------------------------------------------------------

    @property
    def app_id(self) -> int:
        return self._fixture.app_id

    @property
    def client_id(self) -> str:
        with self._state.lock:
            return self._state.apps[self.app_id].client_id

    @property
    def app_slug(self) -> str:
        with self._state.lock:
            return self._state.apps[self.app_id].slug

    @property
    def private_key_pem(self) -> str:
        return self._fixture.private_key_pem

    @property
    def installation_id(self) -> int:
        return self._fixture.installation_id

    @property
    def user_installation_id(self) -> int | None:
        return self._fixture.user_installation_id

    @property
    def suspended_installation_id(self) -> int | None:
        return self._fixture.suspended_installation_id

    @property
    def account(self) -> str:
        with self._state.lock:
            return self._state.installations[self.installation_id].account.login

    @property
    def permissions(self) -> dict[str, str]:
        """What the default installation grants."""
        return self.permissions_of(self.installation_id)

    def permissions_of(self, installation_id: int) -> dict[str, str]:
        with self._state.lock:
            return dict(self._state.installations[installation_id].permissions)

    @property
    def repositories(self) -> list[str]:
        with self._state.lock:
            inst = self._state.installations[self.installation_id]
            return [repo.name for repo in self._state.reachable_repos(inst)]

    def info(self) -> dict[str, Any]:
        """What the CLI prints (minus the key path) and GET /_emulator/info returns."""
        return {
            "base_url": self.base_url if self._server is not None else None,
            "app_id": self.app_id,
            "client_id": self.client_id,
            "app_slug": self.app_slug,
            "installation_id": self.installation_id,
            "account": self.account,
            "permissions": self.permissions,
            "repositories": self.repositories,
            "user_installation_id": self.user_installation_id,
            "suspended_installation_id": self.suspended_installation_id,
            "token_lifetime": self.token_lifetime,
            "token_format": self.token_format,
        }

    # ---- apps, keys, installations --------------------------------------------------------

    def add_key(self, app_id: int | None = None) -> str:
        """Register another key (GitHub allows several per app); returns it as PKCS#8 PEM."""
        private = keys.generate()  # slow: outside the lock
        with self._state.lock:
            self._state.add_key(self.app_id if app_id is None else app_id, private.public_key())
        return keys.to_pem(private, pkcs8=True)

    def remove_key(self, pem: str, app_id: int | None = None) -> None:
        public = keys.load_private(pem).public_key()
        with self._state.lock:
            self._state.remove_key(self.app_id if app_id is None else app_id, public)

    def add_app(
        self,
        name: str = "Other App",
        slug: str | None = None,
        permissions: dict[str, str] | None = None,
    ) -> AppInfo:
        """Register a second app (e.g. to show one app cannot reach another's installations)."""
        private = keys.generate()
        with self._state.lock:
            app = self._state.create_app(
                name,
                slug or name.lower().replace(" ", "-"),
                self._state.apps[self.app_id].owner,
                dict(permissions or fixtures.PERMISSIONS),
                fixtures.EVENTS,
                private.public_key(),
            )
        return AppInfo(app.id, app.client_id, app.slug, keys.to_pem(private, pkcs8=False))

    def add_installation(
        self,
        account: str,
        account_type: AccountType = "Organization",
        repositories: list[str] | None = None,
        permissions: dict[str, str] | None = None,
        suspended: bool = False,
        *,
        app_id: int | None = None,
    ) -> int:
        """Install an app on `account`; `repositories=None` means selection "all"."""
        with self._state.lock:
            inst = fixtures.install(
                self._state,
                self.app_id if app_id is None else app_id,
                account,
                account_type,
                repositories,
                permissions,
                suspended_by=account if suspended else None,
            )
            return inst.id

    def set_permissions(self, installation_id: int, permissions: dict[str, str]) -> None:
        """Change what an installation grants (LookupError for an unknown installation)."""
        if not isinstance(permissions, dict):
            raise ValueError("permissions must be an object of permission name to level")
        with self._state.lock:
            if installation_id not in self._state.installations:
                raise LookupError(f"no installation {installation_id}")
            self._state.set_permissions(installation_id, permissions)

    # ---- time -----------------------------------------------------------------------------

    def shift_clock(self, seconds: float) -> None:
        """Move the emulator's clock (cumulative); it stays within `clock.MAX_OFFSET` of real."""
        with self._state.lock:
            self._state.clock.shift(_seconds(seconds, "a clock shift"))

    def now(self) -> float:
        with self._state.lock:
            return self._state.now()

    @property
    def clock_offset(self) -> float:
        """Seconds the emulator's clock is ahead of real time (negative: behind)."""
        with self._state.lock:
            return self._state.clock.offset

    @property
    def token_lifetime(self) -> float:
        with self._state.lock:
            return self._state.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        seconds = _seconds(seconds, "token_lifetime")
        if not 1 <= seconds <= MAX_TOKEN_LIFETIME:
            raise ValueError(f"token_lifetime must be between 1 and {MAX_TOKEN_LIFETIME} seconds")
        with self._state.lock:
            self._state.token_lifetime = seconds

    @property
    def token_format(self) -> TokenFormat:
        return self._state.token_format

    # ---- faults ---------------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        path: str | None = None,
        variant: str | None = None,
        location: str | None = None,
    ) -> None:
        """Misbehave on the next `count` requests whose path contains `path`.

        Kinds and their options are listed in `github_app_emulator.faults`: error (with
        Retry-After), delay, reset, secondary, primary, malformed (a broken 201, `variant` in
        `faults.MALFORMED`), trickle (slow or endless body), redirect (to `location` or back
        here) and middlebox (a non-GitHub 401).
        """
        fault = faults.make(
            kind,
            count,
            path=path,
            status=status,
            retry_after=retry_after,
            delay=delay,
            variant=variant,
            location=location,
        )
        with self._state.lock:
            self._state.faults.add(fault)

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    # ---- tokens ---------------------------------------------------------------------------

    def revoke_all(self) -> int:
        """Revoke every live token; returns how many there were."""
        with self._state.lock:
            live = [t for t in self._state.all_tokens() if self._state.token_state(t) == "live"]
            for token in live:
                self._state.revoke(token)
            return len(live)

    def token_state(self, token: str) -> TokenState:
        if not isinstance(token, str):
            raise ValueError("token must be a string")
        with self._state.lock:
            found = self._state.find_token(token)
            return "unknown" if found is None else self._state.token_state(found)

    def token_id(self, token: str) -> int | None:
        """The number the request log uses for `token` (None if never minted here)."""
        if not isinstance(token, str):
            raise ValueError("token must be a string")
        with self._state.lock:
            found = self._state.find_token(token)
            return None if found is None else found.id

    def live_tokens(self) -> list[str]:
        with self._state.lock:
            state = self._state
            return [t.value for t in state.all_tokens() if state.token_state(t) == "live"]

    def ledger(self) -> Ledger:
        """Tokens minted, revoked, expired and live (`minted == revoked + expired + live`).

        A token a `malformed` fault withheld from its 201 is not counted: no client could know it.
        """
        with self._state.lock:
            states = [self._state.token_state(t) for t in self._state.all_tokens()]
        return Ledger(
            minted=len(states),
            revoked=states.count("revoked"),
            expired=states.count("expired"),
            live=states.count("live"),
        )

    # ---- request log ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._state.lock:
            return self._state.log.records()

    def clear_log(self) -> None:
        with self._state.lock:
            self._state.log.clear()

