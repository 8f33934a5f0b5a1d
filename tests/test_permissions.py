from __future__ import annotations

import json

from github_app_token.permissions import CATALOGUE, ungranted, validate

from .support.openapi import SPEC_DIR


def test_catalogue_equals_githubs_app_permissions_schema() -> None:
    spec = json.loads((SPEC_DIR / "installation-tokens.openapi.json").read_text())
    schema = spec["components"]["schemas"]["app-permissions"]["properties"]
    assert {name: set(prop["enum"]) for name, prop in schema.items()} == {
        name: set(levels) for name, levels in CATALOGUE.items()
    }
    assert len(CATALOGUE) == 55


def test_valid_requests_have_no_problems() -> None:
    assert validate({"contents": "read", "workflows": "write", "organization_projects": "admin",
                     "organization_plan": "read"}) == []


def test_typo_suggests_the_closest_name_never_repeating_the_typo() -> None:
    [problem] = validate({"contens": "read"})
    assert problem == "one of its names is not a GitHub App permission; did you mean 'contents'?"


def test_only_catalogue_words_are_repeated() -> None:
    # 'none' is no level of GitHub's, so it is the user's word: not repeated.
    assert validate({"contents": "none"}) == ["'contents' accepts read, write, not this value"]
    assert validate({"contents": ["read"]}) == ["'contents' accepts read, write, not this value"]


def test_ungranted_names_what_the_installation_lacks() -> None:
    granted = {"contents": "write", "actions": "read"}
    asked = {"contents": "read", "actions": "write", "issues": "read", "a-secret": "write",
             "checks": "all"}
    assert ungranted(asked, granted) == [
        "actions=write (it grants read)",
        "issues=read (it grants none)",
    ]


def test_level_rules_follow_the_schema() -> None:
    assert validate({"workflows": "read"}) == ["'workflows' accepts write, not 'read'"]
    assert validate({"organization_events": "write"}) == [
        "'organization_events' accepts read, not 'write'"
    ]
    assert validate({"contents": "admin"}) == ["'contents' accepts read, write, not 'admin'"]


def test_nonsense_names_get_generic_advice() -> None:
    [problem] = validate({"zzzzzz": "read"})
    assert "not a GitHub App permission" in problem and "did you mean" not in problem
