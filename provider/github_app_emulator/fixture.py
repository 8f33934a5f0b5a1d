"""The made-up world: the default app with its three installations, and the repositories an
installation gets when a test does not name any. State only records; inventing happens here.

Callers hold `state.lock` (see state.py).
"""

from __future__ import annotations

from dataclasses import dataclass

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
class DefaultFixture:
    app_id: int
    private_key_pem: str  # PKCS#1, like the file GitHub lets you download
    installation_id: int  # octo-org, selected repositories
    user_installation_id: int  # octocat, all repositories
    suspended_installation_id: int  # frozen-org, suspended


def install(
    state: State,
    app_id: int,
    login: str,
    account_type: AccountType = "Organization",
    repositories: list[str] | None = None,
    permissions: dict[str, str] | None = None,
    suspended_by: str | None = None,
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
    return state.add_installation(app_id, account, selected, permissions, suspender)


def build(state: State) -> DefaultFixture:
    org = state.account(ORG, "Organization")
    private = keys.generate()
    app = state.create_app(APP_NAME, APP_SLUG, org, dict(PERMISSIONS), EVENTS, private.public_key())
    for name in REPOSITORIES:
        state.repository(org, name, private=name != "docs")
    # An org repository the installation was not given: GET .../website/installation is a 404.
    state.repository(org, "website", private=False)
    default = install(state, app.id, ORG, repositories=list(REPOSITORIES))
    user = install(state, app.id, USER, "User")
    frozen = install(state, app.id, FROZEN_ORG, repositories=["legacy"], suspended_by=USER)
    return DefaultFixture(
        app.id, keys.to_pem(private, pkcs8=False), default.id, user.id, frozen.id
    )
