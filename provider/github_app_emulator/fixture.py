"""The made-up world: one app, the accounts and repositories it sees, its installations.

`DEFAULT` is app 123 installed on `octo-org` (three repositories), on the user `octocat` (all
of theirs) and, suspended, on `frozen-org`. A user shapes another world from flags or a JSON
file (fixture_file.py). State only records; inventing happens here.

Callers hold `state.lock` (see state.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from . import keys
from .model import AccountType, Installation
from .state import State

APP_SLUG = "pulumi-token-emulator"
APP_NAME = "Pulumi Token Emulator"
ORG = "octo-org"
USER = "octocat"
FROZEN_ORG = "frozen-org"
REPOSITORIES = ("infra", "app", "docs")
# What an account installed on "all" repositories owns when it owns nothing yet.
DEFAULT_ACCOUNT_REPOSITORIES = ("hello-world", "spoon-knife", "dotfiles")
PERMISSIONS = {
    "actions": "read",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "workflows": "write",
}
EVENTS = ("pull_request", "push")


@dataclass(frozen=True)
class RepositorySpec:
    name: str
    private: bool = True


@dataclass(frozen=True)
class AccountSpec:
    login: str
    type: AccountType = "Organization"
    repositories: tuple[RepositorySpec, ...] = ()


@dataclass(frozen=True)
class InstallationSpec:
    account: str
    # The account's type when `accounts` does not declare it.
    type: AccountType = "Organization"
    repositories: tuple[str, ...] | None = None  # None: selection "all"
    permissions: dict[str, str] | None = None  # None: what the app asks for
    suspended_by: str | None = None  # a login: the installation is suspended
    id: int | None = None  # None: the next free id (456, 457, ...)


@dataclass(frozen=True)
class AppSpec:
    id: int = 123
    client_id: str | None = None  # None: derived from the key, so a kept key keeps it
    name: str = APP_NAME
    slug: str = APP_SLUG
    owner: str | None = None  # None: the first installation's account
    permissions: dict[str, str] = field(default_factory=lambda: dict(PERMISSIONS))
    events: tuple[str, ...] = EVENTS


@dataclass(frozen=True)
class Fixture:
    """A whole world; the first installation is the one `Emulator.installation_id` names."""

    app: AppSpec
    accounts: tuple[AccountSpec, ...]
    installations: tuple[InstallationSpec, ...]


DEFAULT = Fixture(
    AppSpec(),
    (
        AccountSpec(
            ORG,
            repositories=(
                *(RepositorySpec(name, private=name != "docs") for name in REPOSITORIES),
                # In the org, not given to the installation: GET .../website/installation is 404.
                RepositorySpec("website", private=False),
            ),
        ),
    ),
    (
        InstallationSpec(ORG, repositories=REPOSITORIES),
        InstallationSpec(USER, "User"),
        InstallationSpec(FROZEN_ORG, repositories=("legacy",), suspended_by=USER),
    ),
)


@dataclass(frozen=True)
class BuiltFixture:
    app_id: int
    private_key_pem: str  # PKCS#1, like the file GitHub lets you download
    installation_id: int  # the first installation
    user_installation_id: int | None  # the first on a user account
    suspended_installation_id: int | None  # the first suspended one


def install(
    state: State,
    app_id: int,
    login: str,
    account_type: AccountType = "Organization",
    repositories: list[str] | None = None,
    permissions: dict[str, str] | None = None,
    suspended_by: str | None = None,
    installation_id: int | None = None,
) -> Installation:
    """Install an app on `login`, creating the account and named repositories as needed.

    `repositories=None` means selection "all"; an account that owns nothing then gets
    `DEFAULT_ACCOUNT_REPOSITORIES` (the first public, the rest private).
    """
    account = state.account(login, account_type)
    selected = None
    if repositories is not None:
        selected = [state.repository(account, name) for name in repositories]
    elif not any(repo.owner is account for repo in state.repos.values()):
        for index, name in enumerate(DEFAULT_ACCOUNT_REPOSITORIES):
            state.repository(account, name, private=index > 0)
    suspender = state.account(suspended_by, "User") if suspended_by else None
    return state.add_installation(
        app_id, account, selected, permissions, suspender, installation_id
    )


def client_id_for(public_key: rsa.RSAPublicKey) -> str:
    """Shaped like GitHub's `Iv1.` ids; the same key always gives the same id."""
    return "Iv1." + keys.fingerprint(public_key)[:16]


def build(state: State, private: rsa.RSAPrivateKey, spec: Fixture = DEFAULT) -> BuiltFixture:
    """Make `spec`'s world in `state`, with `private` as the app's one key."""
    for account in spec.accounts:
        owner = state.account(account.login, account.type)
        for repo in account.repositories:
            state.repository(owner, repo.name, repo.private)
    first = spec.installations[0]
    app_spec = spec.app
    owner = state.account(app_spec.owner or first.account, _type_of(spec, app_spec.owner))
    app = state.create_app(
        app_spec.name,
        app_spec.slug,
        owner,
        dict(app_spec.permissions),
        app_spec.events,
        private.public_key(),
        app_id=app_spec.id,
        client_id=app_spec.client_id or client_id_for(private.public_key()),
    )
    made = [
        install(
            state,
            app.id,
            inst.account,
            _type_of(spec, inst.account),
            None if inst.repositories is None else list(inst.repositories),
            inst.permissions,
            inst.suspended_by,
            inst.id,
        )
        for inst in spec.installations
    ]
    users = [i.id for i in made if i.account.type == "User"]
    suspended = [i.id for i in made if i.suspended_at is not None]
    return BuiltFixture(
        app.id,
        keys.to_pem(private, pkcs8=False),
        made[0].id,
        users[0] if users else None,
        suspended[0] if suspended else None,
    )


def _type_of(spec: Fixture, login: str | None) -> AccountType:
    """The type `spec` gives `login` (the first installation's account when None)."""
    login = (login or spec.installations[0].account).lower()
    for account in spec.accounts:
        if account.login.lower() == login:
            return account.type
    for inst in spec.installations:
        if inst.account.lower() == login:
            return inst.type
    return "Organization"
