"""`Emulator`: the in-process handle tests and the CLI use to run and steer the fake GitHub."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from . import faults, fixture
from .model import AccountType, RequestRecord, TokenState
from .server import EmulatorServer
from .state import Ledger, State
from .tokens import TokenFormat


@dataclass(frozen=True)
class AppInfo:
    """A further app registered with `Emulator.add_app`."""

    app_id: int
    client_id: str
    slug: str
    private_key_pem: str


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
    ) -> None:
        """`token_format`: "stateless" (github.com since 2026: `ghs_<app id>_<JWT>`, ~520
        characters, length varies) or "legacy" (GHES: `ghs_` + 36 alphanumerics)."""
        self._host, self._port = host, port
        self._state = State(token_lifetime=token_lifetime, token_format=token_format)
        self._fixture = fixture.build(self._state)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is None:
            self._server = EmulatorServer(self._host, self._port, self._state, self.info)
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

    # ---- the default fixture --------------------------------------------------------------

    @property
    def app_id(self) -> int:
        return self._fixture.app_id

    @property
    def client_id(self) -> str:
        return self._state.apps[self.app_id].client_id

    @property
    def app_slug(self) -> str:
        return self._state.apps[self.app_id].slug

    @property
    def private_key_pem(self) -> str:
        return self._fixture.private_key_pem

    @property
    def installation_id(self) -> int:
        return self._fixture.installation_id

    @property
    def user_installation_id(self) -> int:
        return self._fixture.user_installation_id

    @property
    def suspended_installation_id(self) -> int:
        return self._fixture.suspended_installation_id

    @property
    def account(self) -> str:
        return self._state.installations[self.installation_id].account.login

    @property
    def permissions(self) -> dict[str, str]:
        with self._state.lock:
            return dict(self._state.installations[self.installation_id].permissions)

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
        return self._state.add_key(self.app_id if app_id is None else app_id, pkcs8=True)

    def remove_key(self, pem: str, app_id: int | None = None) -> None:
        self._state.remove_key(self.app_id if app_id is None else app_id, pem)

    def add_app(
        self,
        name: str = "Other App",
        slug: str | None = None,
        permissions: dict[str, str] | None = None,
    ) -> AppInfo:
        """Register a second app (e.g. to show one app cannot reach another's installations)."""
        state = self._state
        owner = state.apps[self.app_id].owner
        app, pem = state.create_app(
            name,
            slug or name.lower().replace(" ", "-"),
            owner,
            dict(permissions or fixture.PERMISSIONS),
            fixture.EVENTS,
        )
        return AppInfo(app.id, app.client_id, app.slug, pem)

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
        return self._state.add_installation(
            self.app_id if app_id is None else app_id,
            account,
            account_type,
            repositories,
            permissions,
            suspended,
        )

    def set_permissions(self, installation_id: int, permissions: dict[str, str]) -> None:
        self._state.set_permissions(installation_id, permissions)

    # ---- time -----------------------------------------------------------------------------

    def shift_clock(self, seconds: float) -> None:
        with self._state.lock:
            self._state.clock.shift(seconds)

    def now(self) -> float:
        return self._state.now()

    @property
    def token_lifetime(self) -> float:
        return self._state.token_lifetime

    @property
    def token_format(self) -> TokenFormat:
        return self._state.token_format

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("token_lifetime must be positive")
        self._state.token_lifetime = seconds

    # ---- faults and tokens ----------------------------------------------------------------

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

    def revoke_all(self) -> int:
        return self._state.revoke_all()

    def token_state(self, token: str) -> TokenState:
        return self._state.token_state(token)

    def token_id(self, token: str) -> int | None:
        return self._state.token_id(token)

    def live_tokens(self) -> list[str]:
        return self._state.live_tokens()

    def ledger(self) -> Ledger:
        """Tokens minted, revoked, expired and live (`minted == revoked + expired + live`).

        A token a `malformed` fault withheld from its 201 is not counted: no client could know it.
        """
        return self._state.ledger()

    # ---- request log ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        return self._state.records()

    def clear_log(self) -> None:
        self._state.clear_log()
