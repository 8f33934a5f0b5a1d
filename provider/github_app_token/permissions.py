"""GitHub's permission catalogue: every `app-permissions` name and the levels it accepts.

Transcribed from `components/schemas/app-permissions` of GitHub's OpenAPI description
(github/rest-api-description); tests/test_permissions.py compares it with the spec.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

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


def _problem(name: Any, level: Any) -> str | None:
    """What is wrong with one entry, naming only words of the catalogue: the name or level
    given is repeated only when it is one of GitHub's own (never a misplaced secret)."""
    allowed = CATALOGUE.get(name) if isinstance(name, str) else None
    if allowed is None:
        # The length bound keeps difflib's quadratic matching cheap.
        close = difflib.get_close_matches(name, CATALOGUE, n=1, cutoff=0.6) if (
            isinstance(name, str) and len(name) <= 64) else []
        hint = f"did you mean '{close[0]}'?" if close else "see GitHub's app-permissions list"
        return f"one of its names is not a GitHub App permission; {hint}"
    if not isinstance(level, str) or level not in allowed:
        levels = ", ".join(sorted(allowed, key=_RANK.__getitem__))
        given = f"'{level}'" if isinstance(level, str) and level in _RANK else "this value"
        return f"'{name}' accepts {levels}, not {given}"
    return None


def validate(permissions: Mapping[Any, Any]) -> list[str]:
    """Problems with a requested `permissions` map, each a sentence naming the entry."""
    return [p for p in (_problem(name, level) for name, level in permissions.items()) if p]


def ungranted(asked: Mapping[str, str], granted: Mapping[str, str]) -> list[str]:
    """`name=level (grants ...)` for each permission asked above what is granted.

    Only catalogue names and levels are kept, so the result may be shown to the user.
    """
    out = []
    for name, level in asked.items():
        if not (isinstance(name, str) and isinstance(level, str)) or name not in CATALOGUE or (
                level not in _RANK):
            continue
        has = granted.get(name)
        if has not in _RANK or _RANK[level] > _RANK[has]:
            out.append(f"{name}={level} (it grants {has if has in _RANK else 'none'})")
    return out
