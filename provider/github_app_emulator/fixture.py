"""The default world every emulator starts with: one app, three installations of it."""

from __future__ import annotations

from dataclasses import dataclass

from .state import State

APP_SLUG = "pulumi-token-emulator"
APP_NAME = "Pulumi Token Emulator"
ORG = "octo-org"
USER = "octocat"
FROZEN_ORG = "frozen-org"
REPOSITORIES = ("infra", "app", "docs")
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


def build(state: State) -> DefaultFixture:
    org = state.account(ORG, "Organization")
    app, pem = state.create_app(APP_NAME, APP_SLUG, org, dict(PERMISSIONS), EVENTS)
    for name in REPOSITORIES:
        state.repository(org, name, private=name != "docs")
    # An org repository the installation was not given: GET .../website/installation is a 404.
    state.repository(org, "website", private=False)
    default = state.add_installation(app.id, ORG, "Organization", list(REPOSITORIES), None, False)
    user = state.add_installation(app.id, USER, "User", None, None, False)
    frozen = state.add_installation(
        app.id,
        FROZEN_ORG,
        "Organization",
        ["legacy"],
        None,
        True,
        suspended_by=state.account(USER, "User"),
    )
    return DefaultFixture(app.id, pem, default, user, frozen)
