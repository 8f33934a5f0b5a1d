"""GitHub's permission catalogue: every `app-permissions` name and the levels it accepts.

Transcribed from `components/schemas/app-permissions` of GitHub's OpenAPI description
(github/rest-api-description); tests/test_permissions.py compares it with the spec.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

PROPERTY = "permissions"

_READ_WRITE = frozenset({"read", "write"})

_READ_WRITE_NAMES = (
    "actions",
    "administration",
    "artifact_metadata",
    "attestations",
    "checks",
    "code_quality",
    "codespaces",
    "contents",
    "dependabot_secrets",
    "deployments",
    "discussions",
    "environments",
    "issues",
    "merge_queues",
    "metadata",
    "packages",
    "pages",
    "pull_requests",
    "repository_custom_properties",
    "repository_hooks",
    "secret_scanning_alerts",
    "secrets",
    "security_events",
    "single_file",
    "statuses",
    "vulnerability_alerts",
    "custom_properties_for_organizations",
    "members",
    "organization_administration",
    "organization_custom_roles",
    "organization_custom_org_roles",
    "organization_copilot_seat_management",
    "organization_copilot_agent_settings",
    "organization_announcement_banners",
    "organization_hooks",
    "organization_personal_access_tokens",
    "organization_personal_access_token_requests",
    "organization_packages",
    "organization_secrets",
    "organization_self_hosted_runners",
    "organization_user_blocking",
    "email_addresses",
    "followers",
    "git_ssh_keys",
    "gpg_keys",
    "interaction_limits",
    "starring",
)

CATALOGUE: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        **dict.fromkeys(_READ_WRITE_NAMES, _READ_WRITE),
        "repository_projects": frozenset({"read", "write", "admin"}),
        "workflows": frozenset({"write"}),
        "organization_custom_properties": frozenset({"read", "write", "admin"}),
        "organization_events": frozenset({"read"}),
        "organization_plan": frozenset({"read"}),
        "organization_projects": frozenset({"read", "write", "admin"}),
        "profile": frozenset({"write"}),
        "enterprise_custom_properties_for_organizations": frozenset({"read", "write", "admin"}),
    }
)
"""Permission name -> the levels GitHub accepts for it."""

_RANK = {"read": 1, "write": 2, "admin": 3}


def validate(permissions: Mapping[str, Any]) -> list[str]:
    """Problems with a requested `permissions` map, each a sentence naming the entry."""
    problems = []
    for name, level in permissions.items():
        allowed = CATALOGUE.get(name)
        if allowed is None:
            close = difflib.get_close_matches(str(name), CATALOGUE, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "see GitHub's app-permissions list"
            problems.append(f"'{name}' is not a GitHub App permission; {hint}")
        elif level not in allowed:
            levels = ", ".join(sorted(allowed, key=_RANK.__getitem__))
            problems.append(f"'{name}' accepts {levels}, not {level!r}")
    return problems
