"""The repository's own Pulumi projects, run through the `runtime: python` language host."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from ..support.paths import REPO
from ..support.secrets import assert_no_secret
from .harness import Harness
from .projects import copy_project

pytestmark = pytest.mark.e2e


@pytest.fixture
def h(e2e_env, tmp_path) -> Iterator[Harness]:
    asyncio.set_event_loop(asyncio.new_event_loop())
    yield Harness(e2e_env, tmp_path)


def configure(stack: auto.Stack, gh, **extra: str) -> None:
    stack.set_config("privateKey", auto.ConfigValue(gh.private_key_pem, secret=True))
    stack.set_config("appId", auto.ConfigValue(str(gh.app_id)))
    stack.set_config("baseUrl", auto.ConfigValue(extra.pop("baseUrl", gh.base_url)))
    for key, value in extra.items():
        stack.set_config(key, auto.ConfigValue(value))


def up_and_destroy(h: Harness, gh, stack: auto.Stack,
                   check: Callable[[dict[str, auto.OutputValue]], None]) -> None:
    up = h.up(stack)
    assert up.summary.result == "succeeded"
    outputs = stack.outputs()
    check(outputs)
    tokens = gh.live_tokens()
    assert len(tokens) == 1
    stack.destroy(color="never")
    assert gh.token_state(tokens[0]) == "revoked"
    assert_no_secret("\n".join(h.output) + h.raw_state().decode(), tokens[0],
                     gh.private_key_pem)


def test_root_project(gh, h: Harness, tmp_path: Path) -> None:
    work = copy_project(REPO, tmp_path / "root", files=["Pulumi.yaml", "__main__.py"])
    stack = h.local(work)
    configure(stack, gh, installationId=str(gh.installation_id))
    stack.set_config("permissions.contents", auto.ConfigValue("read"), path=True)
    stack.set_config("repositories[0]", auto.ConfigValue("infra"), path=True)

    def check(outputs: dict[str, auto.OutputValue]) -> None:
        assert outputs["token"].secret
        assert gh.token_state(outputs["token"].value) == "live"
        assert outputs["installationId"].value == gh.installation_id
        assert outputs["expiresAt"].value.endswith("Z")

    up_and_destroy(h, gh, stack, check)
    assert gh.requests[0].body == {"repositories": ["infra"], "permissions": {"contents": "read"}}


def example(name: str, tmp_path: Path) -> Path:
    return copy_project(REPO / "examples" / name, tmp_path / name)


def test_example_scoped_read(gh, h: Harness, tmp_path: Path) -> None:
    stack = h.local(example("scoped-read", tmp_path))
    configure(stack, gh, repository=f"{gh.account}/infra")  # owner/name, as everywhere

    def check(outputs: dict[str, auto.OutputValue]) -> None:
        assert outputs["installationId"].value == gh.installation_id
        assert outputs["grantedPermissions"].value == {"contents": "read"}
        assert outputs["grantedRepositories"].value == [f"{gh.account}/infra"]

    up_and_destroy(h, gh, stack, check)
    assert gh.requests[0].path == f"/repos/{gh.account}/infra/installation"


def test_example_owner_lookup(gh, h: Harness, tmp_path: Path) -> None:
    stack = h.local(example("owner-lookup", tmp_path))
    configure(stack, gh, owner=gh.account)

    def check(outputs: dict[str, auto.OutputValue]) -> None:
        assert outputs["installationId"].value == gh.installation_id

    up_and_destroy(h, gh, stack, check)
    assert [r.path for r in gh.requests][:1] == [f"/orgs/{gh.account}/installation"]


def test_example_ghes_base_url(gh, h: Harness, tmp_path: Path) -> None:
    stack = h.local(example("ghes", tmp_path))
    configure(stack, gh, installationId=str(gh.installation_id),
              baseUrl=gh.base_url + "/api/v3")
    up_and_destroy(h, gh, stack, lambda outputs: None)


def test_example_token_file_follows_renewal(gh, h: Harness, tmp_path: Path) -> None:
    path = tmp_path / "token.txt"
    stack = h.local(example("token-file", tmp_path))
    configure(stack, gh, installationId=str(gh.installation_id), filePath=str(path))
    h.up(stack)
    first = path.read_text()
    assert gh.token_state(first) == "live"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    gh.shift_clock(3600 - 1700)
    h.up(stack)
    second = path.read_text()
    assert second != first and gh.token_state(second) == "live"
    assert gh.token_state(first) == "revoked"
    stack.destroy(color="never")
    assert not path.exists() and gh.token_state(second) == "revoked"
    assert_no_secret(h.raw_state(), first, second, gh.private_key_pem)


def test_example_several_apps(gh, h: Harness, tmp_path: Path) -> None:
    """One app on two accounts and a second app with its own key, in one stack."""
    release = gh.add_app("Release Bot")
    release_installation = gh.add_installation(gh.account, repositories=["infra"],
                                               app_id=release.app_id)
    stack = h.local(example("several-apps", tmp_path))
    configure(stack, gh, releaseAppId=str(release.app_id),
              releaseRepository=f"{gh.account}/infra")
    stack.set_config("releasePrivateKey", auto.ConfigValue(release.private_key_pem, secret=True))
    for index, owner in enumerate((gh.account, "octocat")):
        stack.set_config(f"owners[{index}]", auto.ConfigValue(owner), path=True)

    assert h.up(stack).summary.result == "succeeded"
    outputs = stack.outputs()
    assert outputs["readerInstallations"].value == {
        gh.account: gh.installation_id, "octocat": gh.user_installation_id}
    assert outputs["releaseInstallationId"].value == release_installation
    tokens = [*outputs["readerTokens"].value.values(), outputs["releaseToken"].value]
    assert outputs["releaseToken"].secret and outputs["readerTokens"].secret
    assert len(set(tokens)) == 3 and all(gh.token_state(t) == "live" for t in tokens)
    stack.destroy(color="never")
    assert all(gh.token_state(t) == "revoked" for t in tokens)
    assert_no_secret("\n".join(h.output) + h.raw_state().decode(), *tokens,
                     gh.private_key_pem, release.private_key_pem)
