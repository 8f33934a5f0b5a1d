"""docs/emulator.md stays true: every route, field, fault, option, and its examples run."""

from __future__ import annotations

import json
import re

import pytest

from github_app_emulator import Emulator, admin, faults, launcher
from github_app_emulator.__main__ import _parser
from github_app_emulator.fixture_file import parse

from ..support.paths import REPO

DOC = (REPO / "docs" / "emulator.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)


def test_every_control_route_is_documented() -> None:
    for method, pattern, _ in admin._ROUTES:
        route = pattern.pattern.removeprefix(f"^{admin.PREFIX}/").removesuffix("/?$")
        assert f"`{method} {route.replace('([^/]+)', 'ID')}" in DOC, (method, route)


def test_every_field_of_the_json_line_is_documented(gh: Emulator) -> None:
    fields = [*gh.info(), "private_key_path", "pid"]
    [example] = [b for b in blocks("json") if '"base_url"' in b]
    assert sorted(json.loads(example)) == sorted(fields)
    for field in fields:
        assert f"| `{field}` |" in DOC, field


def test_every_fault_and_variant_is_documented() -> None:
    for kind in faults.KINDS:
        assert f"| `{kind}` |" in DOC, kind
    for variant in faults.MALFORMED:
        assert f"`{variant}`" in DOC, variant


@pytest.mark.parametrize("parser", [_parser(), launcher._parser()], ids=["serve", "launcher"])
def test_every_option_is_documented(parser) -> None:  # type: ignore[no-untyped-def]
    for action in parser._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in DOC, option


def test_the_fixture_example_is_a_fixture() -> None:
    [example] = [b for b in blocks("json") if '"installations"' in b]
    world = parse(json.loads(example))
    with Emulator(fixture=world) as gh:
        assert gh.account == "my-org" and gh.user_installation_id == 777


def test_the_python_control_helper_works(gh: Emulator) -> None:
    [helper] = [b for b in blocks("python") if "def control(" in b]
    namespace: dict = {}
    exec(helper, namespace)
    control = namespace["control"]
    assert control("POST", "clock", {"shift": 60}, base=gh.base_url)["shift"] == 60
    assert control("GET", "ledger", base=gh.base_url) == {
        "minted": 0, "revoked": 0, "expired": 0, "live": 0}
