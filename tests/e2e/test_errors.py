"""What a user sees when something fails, under the real CLI, in both faces.

For every error of ours, the first line of the resource's diagnostics is our message (the
core's own text, computed here in-process for the same inputs), with no Python traceback and
no `Unexpected <class ...>`. A real bug keeps its traceback. A key, JWT or token pasted into
the wrong input never reaches the CLI's output, though the engine prints failing inputs.
"""

from __future__ import annotations

import asyncio
import json
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from github_app_token import InstallationToken, lifecycle
from github_app_token.errors import GitHubAppTokenError
from github_app_token.inputs import check_inputs, parse_inputs
from github_app_token.plugin.wire import TO_SNAKE, TO_WIRE, wire_text

from ..support.buggy import BUG, BuggyToken
from ..support.ledger import unwrap_secret
from ..support.pasted import pasted
from ..support.secrets import assert_no_secret
from .harness import Harness
from .test_yaml import PLUGIN, yaml_host  # noqa: F401 - a fixture this module uses

pytestmark = pytest.mark.e2e
DNS_TYPO = "https://github.example.invalid/api/v3"
"""A GitHub Enterprise Server root that passes check; `.invalid` never resolves (RFC 2606)."""
SETTINGS = ("app_id", "private_key", "base_url")
"""The plugin face takes these from the provider's configuration."""
PYTHON_TRACES = ("Traceback", "Unexpected <class", 'File "')


class Face:
    """One face under the real CLI: a stack with one InstallationToken `ci`, given inputs."""

    type: str

    def __init__(self, gh: Any, h: Harness) -> None:
        self.gh, self.h = gh, h

    def inputs(self, **overrides: Any) -> dict[str, Any]:
        props = {"app_id": self.gh.app_id, "private_key": self.gh.private_key_pem,
                 "installation_id": self.gh.installation_id, "base_url": self.gh.base_url,
                 "repositories": ["infra"], "permissions": {"contents": "read"}, **overrides}
        return {k: v for k, v in props.items() if v is not None}

    def stack(self, **overrides: Any) -> auto.Stack:
        raise NotImplementedError

    def buggy_stack(self) -> auto.Stack:
        raise NotImplementedError

    def spelled(self, text: str) -> str:
        return text

    def snake(self, props: dict[str, Any]) -> dict[str, Any]:
        return props

    def output(self, err: auto.CommandError) -> str:
        """Everything the CLI printed (stdout and stderr), and what the provider wrote to its
        stderr (which the CLI shows a user; the tests' launchers keep it in a file)."""
        return "\n".join([str(err), *self.h.output, self.provider_stderr()])

    def provider_stderr(self) -> str:
        return self.h.provider_stderr().decode("utf-8", "replace")


class Dynamic(Face):
    type = "pulumi-python:dynamic/github:InstallationToken"

    def stack(self, **overrides: Any) -> auto.Stack:
        inputs = self.inputs(**overrides)
        return self.h.inline(lambda: InstallationToken("ci", **inputs))

    def buggy_stack(self) -> auto.Stack:
        inputs = self.inputs()
        self.type = "pulumi-python:dynamic/e2e:BuggyToken"
        return self.h.inline(lambda: BuggyToken("ci", inputs))


class Yaml(Face):
    type = "github-app-token:index:InstallationToken"

    def __init__(self, gh: Any, h: Harness) -> None:
        super().__init__(gh, h)
        self.launcher(f"exec '{PLUGIN}' \"$@\"")

    def launcher(self, command: str) -> None:
        """The plugin, first on PATH, its stderr kept for the secret search."""
        path = self.h.tmp / "bin" / PLUGIN.name
        path.write_text(f"#!/bin/sh\n{command} 2>> '{self.h.tmp}/plugin-stderr.log'\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def stack(self, **overrides: Any) -> auto.Stack:
        inputs = self.inputs(**overrides)
        properties = {TO_WIRE[k]: v for k, v in inputs.items() if k not in SETTINGS}
        work = self.h.tmp / "yaml"
        work.mkdir(exist_ok=True)
        project = {"name": "errors-yaml", "runtime": "yaml",
                   "resources": {"ci": {"type": self.type, "properties": properties}}}
        (work / "Pulumi.yaml").write_text(json.dumps(project, indent=2))  # JSON is YAML
        stack = self.h.local(work)
        for name in SETTINGS:
            if name in inputs:
                stack.set_config(f"github-app-token:{TO_WIRE[name]}", auto.ConfigValue(
                    str(inputs[name]), secret=name == "private_key"))
        return stack

    def buggy_stack(self) -> auto.Stack:
        self.launcher(f"exec '{sys.executable}' -m tests.support.buggy \"$@\"")
        return self.stack()

    def spelled(self, text: str) -> str:
        return wire_text(text)

    def snake(self, props: dict[str, Any]) -> dict[str, Any]:
        return {TO_SNAKE.get(k, k): v for k, v in props.items()}

    def provider_stderr(self) -> str:
        path = self.h.tmp / "plugin-stderr.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(params=["dynamic", "yaml"])
def face(request, gh, e2e_env, tmp_path: Path) -> Iterator[Face]:
    if request.param == "yaml":
        yaml_bin = Path(request.getfixturevalue("yaml_host")).parent
        e2e_env["PATH"] += f":{yaml_bin}"
    asyncio.set_event_loop(asyncio.new_event_loop())
    h = Harness(e2e_env, tmp_path)
    yield Dynamic(gh, h) if request.param == "dynamic" else Yaml(gh, h)


def failed(face: Face, command: Any) -> str:
    """The CLI's whole output for a command that must fail."""
    with pytest.raises(auto.CommandError) as caught:
        command(on_output=face.h.output.append, color="never")
    return face.output(caught.value)


def first_error(output: str, face: Face) -> str:
    """The first line of the resource's block under `Diagnostics:`, after `error: `."""
    lines = output.split("Diagnostics:", 1)[1].splitlines()
    line = lines[lines.index(f"  {face.type} (ci):") + 1].strip()
    assert line.startswith("error: "), line
    return line.removeprefix("error: ")


def core_message(props: dict[str, Any]) -> str:
    """Our message for minting with `props`, made in this process by the same core."""
    with pytest.raises(GitHubAppTokenError) as caught:
        lifecycle.mint(parse_inputs(props))
    return str(caught.value)


def same_text(text: str) -> str:
    """`text` without what differs between two runs: GitHub's request ids."""
    return re.sub(r"x-github-request-id: [^;)]*", "x-github-request-id: ?", text)


def assert_ours_first(output: str, face: Face, ours: str) -> None:
    for trace in PYTHON_TRACES:
        assert trace not in output, f"{trace!r} in:\n{output}"
    assert same_text(first_error(output, face)) == same_text(face.spelled(ours))


@pytest.mark.parametrize("case", ["wrong installation id", "DNS typo in base_url"])
def test_a_failed_mint_reads_as_our_message(face: Face, case: str) -> None:
    overrides = ({"installation_id": 999999} if case == "wrong installation id"
                 else {"base_url": DNS_TYPO})
    output = failed(face, face.stack(**overrides).up)
    assert_ours_first(output, face, core_message(face.inputs(**overrides)))


def test_a_permission_typo_reads_as_our_reason(face: Face) -> None:
    typo = {"permissions": {"contens": "read"}}
    output = failed(face, face.stack(**typo).up)
    [(prop, reason)] = check_inputs(face.inputs(**typo))[1]
    assert prop == "permissions"
    # The engine frames a check failure itself: which resource and property, then our reason.
    line = first_error(output, face)
    assert line.startswith(f"{face.type} resource 'ci': property permissions value ")
    assert line.endswith(f" has a problem: {face.spelled(reason)}")
    for trace in PYTHON_TRACES:
        assert trace not in output


def test_a_failed_revoke_reads_as_our_message(face: Face) -> None:
    stack = face.stack()
    face.h.up(stack)
    [outputs] = [r["outputs"] for r in stack.export_stack().deployment["resources"]
                 if r["type"] == face.type]
    state = face.snake({k: unwrap_secret(v) for k, v in outputs.items()})
    face.gh.inject("error", count=2, status=403, path="/installation/token")
    output = failed(face, stack.destroy)
    with pytest.raises(GitHubAppTokenError) as ours:
        lifecycle.revoke(state)
    assert_ours_first(output, face, str(ours.value))


def test_a_bug_keeps_its_traceback(face: Face) -> None:
    output = failed(face, face.buggy_stack().up)
    line = first_error(output, face)
    if isinstance(face, Dynamic):
        assert line == "Traceback (most recent call last):"
    else:
        assert line.startswith(f"Unexpected <class 'Exception'>: {BUG}:")
    assert 'File "' in output and BUG in output


def test_a_pasted_secret_never_reaches_the_output(face: Face) -> None:
    secret = pasted()
    # owner and repository are resource inputs in both faces, base_url only in the dynamic one.
    outputs = [failed(face, face.stack(installation_id=None, owner=secret.token,
                                       repository=secret.jwt,
                                       base_url=secret.key if isinstance(face, Dynamic)
                                       else face.gh.base_url).up)]
    if isinstance(face, Yaml):  # in the plugin face, the provider's configuration holds it
        outputs.append(failed(face, face.stack(base_url=secret.key).up))
    everything = "\n".join(outputs)
    assert_no_secret(everything, *secret.all)
    for name in ("owner", "repository", face.spelled("base_url")):
        assert f": {name}: " in everything, f"{name} is not named in:\n{everything}"
