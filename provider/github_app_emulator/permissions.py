"""GitHub App permission names and the levels each accepts.

Source: the spec's `app-permissions` schema, summarised in docs/github-behaviour.md §7.
"""

from __future__ import annotations

from collections.abc import Mapping

_READ_WRITE = ("read", "write")
_WITH_ADMIN = ("read", "write", "admin")

# Most properties take read/write; these are the exceptions listed in §7.
_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "repository_projects": _WITH_ADMIN,
    "organization_custom_properties": _WITH_ADMIN,
    "organization_projects": _WITH_ADMIN,
    "enterprise_custom_properties_for_organizations": _WITH_ADMIN,
    "workflows": ("write",),
    "profile": ("write",),
    "organization_events": ("read",),
    "organization_plan": ("read",),
}
_REPOSITORY = (
    "actions administration artifact_metadata attestations checks code_quality codespaces "
    "contents dependabot_secrets deployments discussions environments issues merge_queues "
    "metadata packages pages pull_requests repository_custom_properties repository_hooks "
    "repository_projects secret_scanning_alerts secrets security_events single_file statuses "
    "vulnerability_alerts workflows"
)
_ORGANIZATION = (
    "custom_properties_for_organizations members organization_administration "
    "organization_custom_roles organization_custom_org_roles organization_custom_properties "
    "organization_copilot_seat_management organization_copilot_agent_settings "
    "organization_announcement_banners organization_events organization_hooks "
    "organization_personal_access_tokens organization_personal_access_token_requests "
    "organization_plan organization_projects organization_packages organization_secrets "
    "organization_self_hosted_runners organization_user_blocking"
)
_USER = "email_addresses followers git_ssh_keys gpg_keys interaction_limits profile starring"
_ENTERPRISE = "enterprise_custom_properties_for_organizations"

LEVELS: dict[str, tuple[str, ...]] = {
    name: _EXCEPTIONS.get(name, _READ_WRITE)
    for group in (_REPOSITORY, _ORGANIZATION, _USER, _ENTERPRISE)
    for name in group.split()
}
# read < write < admin: a token may ask for at most what the installation grants.
RANK = {"read": 1, "write": 2, "admin": 3}


def check_grant(permissions: Mapping[str, str]) -> dict[str, str]:
    """Validate what an installation grants; raise ValueError on names/levels the spec rejects."""
    result: dict[str, str] = {}
    for name, level in permissions.items():
        if name not in LEVELS:
            raise ValueError(f"unknown permission {name!r}")
        if level not in LEVELS[name]:
            raise ValueError(f"permission {name!r} takes {'/'.join(LEVELS[name])}, not {level!r}")
        result[name] = level
    return result


def covers(granted: Mapping[str, str], name: str, level: str) -> bool:
    """Whether a request for `name: level` fits inside what is granted.

    A level outside the spec's enum for that permission (e.g. `workflows: read`) is refused
    like an ungranted one (inference: GitHub's text for it is unknown; this keeps every 201
    body valid against `app-permissions`).
    """
    if name not in LEVELS or level not in LEVELS[name] or name not in granted:
        return False
    return RANK[level] <= RANK[granted[name]]
