"""Which plugins Pulumi's Python language host infers from a virtualenv holding our wheels.

The upstream host is not on the Go module proxy, so it cannot run here: this test replays its
decision, step by step, on the real installed distributions of a fresh virtualenv, as read in
pulumi/pulumi:

1. sdk/python/toolchain/pip.go, `(*pip).ListPackages` (sdk/v3 v3.274.1): `python -m pip list
   --format json`, every installed distribution (transitive), each name normalised by
   `normalizePythonPackageName` (toolchain.go: PEP 503, lowercase, runs of `-_.` to `-`).
2. sdk/python/cmd/pulumi-language-python/main.go, `readAllPulumiPluginJSONPaths` and the
   Python script it runs (since v3.226.0, pulumi/pulumi#22127): in the program's python,
   `importlib.metadata.distribution(name).metadata['Name']` with `-` made `_` is the import
   package; the first `pulumi-plugin.json` in its `find_spec(...).submodule_search_locations`.
3. `listPulumiPackageInfos`: skip `pulumi-policy` and `pulumi-esc-sdk`; keep a distribution
   that has a `pulumi-plugin.json` or whose name starts with `pulumi-`.
4. `packageDependencyFromPluginJSON`: `resource: false` means no plugin; otherwise the plugin
   is the file's `name` (else the distribution name without `pulumi-`) at the file's `version`
   (else the distribution's, via `determinePluginVersion`), with a leading `v`.

Hosts before v3.226.0 (`isPulumiPackage`, `readPulumiPluginJSON`) looked for the file at
`<location from pip list -v>/<name with - made _>/pulumi-plugin.json` and also kept names
starting `pulumi_`. Both rules are replayed: neither may infer a plugin from this project's
distribution, and both must infer `github-app-token` from the generated SDK's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from github_app_token.plugin.schema import PYTHON_SDK, build_schema
from github_app_token.version import __version__

from .conftest import run

# What the host's Go code learns from the virtualenv's python (steps 1 and 2), gathered by the
# same calls, in our words.
FACTS = r"""
import importlib.metadata, importlib.util, json, os, re, subprocess, sys

def plugin_json(name):
    try:
        module = importlib.metadata.distribution(name).metadata["Name"].replace("-", "_")
        spec = importlib.util.find_spec(module)
    except Exception:
        return ""
    found = [os.path.join(str(d), "pulumi-plugin.json")
             for d in ((spec.submodule_search_locations or []) if spec else [])]
    return next((p for p in found if os.path.isfile(p)), "")

listed = json.loads(subprocess.run(
    [sys.executable, "-m", "pip", "list", "-v", "--format", "json"],
    capture_output=True, text=True, check=True).stdout)
facts = []
for dist in listed:
    name = re.sub(r"[-_.]+", "-", dist["name"].lower())
    facts.append({"listed": dist["name"], "name": name, "version": dist["version"],
                  "location": dist.get("location", ""), "plugin_json": plugin_json(name)})
print(json.dumps(facts))
"""
WITHOUT_PLUGINS = {"pulumi-policy", "pulumi-esc-sdk"}


def plugin_version(version: str) -> str | None:
    """`determinePluginVersion` for plain releases (N.N.N, padded); others are not needed."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        return None
    parts = version.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def dependency(name: str, version: str, declared: dict[str, Any] | None) -> str | None:
    """Step 4: the plugin a kept distribution makes the engine require, as `name vX.Y.Z`."""
    declared = declared or {}
    if declared and not declared.get("resource"):
        return None
    plugin = declared.get("name") or name.removeprefix("pulumi-")
    wanted = declared.get("version") or plugin_version(version)
    return f"{plugin} v{wanted.removeprefix('v')}" if wanted else None


def read(path: str | Path) -> dict[str, Any] | None:
    return json.loads(Path(path).read_text()) if path and Path(path).is_file() else None


def inferred_now(facts: list[dict[str, str]]) -> dict[str, str]:
    """Steps 3 and 4, v3.226.0 and later: distribution -> the plugin it requires."""
    out = {}
    for fact in facts:
        declared = read(fact["plugin_json"])
        if fact["name"] in WITHOUT_PLUGINS or (declared is None and
                                               not fact["name"].startswith("pulumi-")):
            continue
        if plugin := dependency(fact["name"], fact["version"], declared):
            out[fact["name"]] = plugin
    return out


def inferred_before(facts: list[dict[str, str]]) -> dict[str, str]:
    """The same before v3.226.0: the file found from pip's location and the listed name."""
    out = {}
    for fact in facts:
        declared = read(Path(fact["location"], fact["listed"].replace("-", "_"),
                             "pulumi-plugin.json"))
        listed = fact["listed"]
        if listed in WITHOUT_PLUGINS or (declared is None and
                                         not listed.startswith(("pulumi-", "pulumi_"))):
            continue
        if plugin := dependency(listed.replace("_", "-"), fact["version"], declared):
            out[fact["name"]] = plugin
    return out


@pytest.fixture(scope="module")
def facts(wheel_venv: Path) -> list[dict[str, str]]:
    return json.loads(run([str(wheel_venv / "bin" / "python"), "-c", FACTS]).stdout)


SDK_DISTRIBUTION = PYTHON_SDK.replace("_", "-")
EXPECTED = {SDK_DISTRIBUTION: f"github-app-token v{__version__}"}


@pytest.mark.parametrize("rule", [inferred_now, inferred_before], ids=["now", "before-3.226"])
def test_only_the_sdk_makes_the_host_require_the_plugin(facts, rule) -> None:
    names = {fact["name"] for fact in facts}
    assert {"pulumi-github-app-token", SDK_DISTRIBUTION, "pulumi"} <= names  # really installed
    assert rule(facts) == EXPECTED


def test_the_sdk_names_where_the_engine_downloads_the_plugin(facts) -> None:
    [sdk] = [f for f in facts if f["name"] == SDK_DISTRIBUTION]
    declared = json.loads(Path(sdk["plugin_json"]).read_text())
    assert declared["server"] == build_schema()["pluginDownloadURL"]


def test_without_its_pulumi_plugin_json_the_package_would_need_a_plugin(facts) -> None:
    """The file is what keeps the host quiet: the name alone makes it infer a plugin that is
    never published where the engine looks (the 2.3 s -> 5.4 s offline preview of issue 15)."""
    [ours] = [f for f in facts if f["name"] == "pulumi-github-app-token"]
    assert ours["plugin_json"].endswith("pulumi_github_app_token/pulumi-plugin.json")
    assert inferred_now([{**ours, "plugin_json": ""}]) == {
        "pulumi-github-app-token": f"github-app-token v{__version__}"}


def test_the_sdk_cannot_replace_the_package(wheel_venv: Path) -> None:
    """Different normalised names, and no import package in common."""
    script = ("import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: "
              "sorted({f.parts[0] for f in d.files if f.parts[0].isidentifier()}) "
              "for d in m.distributions() "
              "if 'app-token' in d.metadata['Name'].replace('_', '-')}))")
    tops = json.loads(run([str(wheel_venv / "bin" / "python"), "-c", script]).stdout)
    assert set(tops) == {"pulumi-github-app-token", PYTHON_SDK}
    ours, sdk = set(tops["pulumi-github-app-token"]), set(tops[PYTHON_SDK])
    assert ours == {"github_app_token", "github_app_emulator", "pulumi_github_app_token"}
    assert sdk == {PYTHON_SDK} and not ours & sdk
