"""The emulator's permission table is GitHub's `app-permissions` schema, name for name."""

from __future__ import annotations

import json

from github_app_emulator.permissions import LEVELS, check_grant, covers

from ..support.openapi import SPEC_DIR, SPEC_FILE


def test_levels_equal_githubs_app_permissions_schema() -> None:
    spec = json.loads((SPEC_DIR / SPEC_FILE).read_text())
    schema = spec["components"]["schemas"]["app-permissions"]["properties"]
    assert {name: set(prop["enum"]) for name, prop in schema.items()} == {
        name: set(levels) for name, levels in LEVELS.items()
    }


def test_a_request_fits_inside_the_grant_by_rank() -> None:
    granted = check_grant({"contents": "write", "organization_projects": "admin"})
    assert covers(granted, "contents", "read") and covers(granted, "contents", "write")
    assert not covers(granted, "contents", "admin")  # outside the enum for contents
    assert covers(granted, "organization_projects", "admin")
    assert not covers(granted, "issues", "read")  # not granted at all
    assert not covers(granted, "workflows", "read")  # outside the enum for workflows
