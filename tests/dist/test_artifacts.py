"""What `make dist` packs: every artifact named as its registry expects, at this version."""

from __future__ import annotations

import io
import json
import stat
import tarfile
import zipfile

from github_app_token.plugin.schema import GO_MODULE
from github_app_token.version import __version__

from ..support.paths import REPO
from .conftest import DIST, PLUGIN, SDK_WHEEL, WHEEL, artifact, plugin_archive

V = __version__


def test_the_wheel_carries_the_license_and_what_the_python_host_reads() -> None:
    with zipfile.ZipFile(artifact(WHEEL)) as whl:
        names = set(whl.namelist())
        metadata = whl.read(f"pulumi_github_app_token-{V}.dist-info/METADATA").decode()
        marker = json.loads(whl.read("pulumi_github_app_token/pulumi-plugin.json"))
        scripts = whl.read(f"pulumi_github_app_token-{V}.dist-info/entry_points.txt").decode()
    assert f"pulumi_github_app_token-{V}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "github_app_token/provider.py" in names  # the pickled provider's module
    assert marker == {"resource": False}
    assert f"{PLUGIN} = github_app_token.plugin:main" in scripts


def test_the_sdist_is_the_package_without_the_tests() -> None:
    with tarfile.open(artifact(f"pulumi_github_app_token-{V}.tar.gz")) as sdist:
        names = {name.split("/", 1)[-1] for name in sdist.getnames()}
    assert {"LICENSE", "pyproject.toml", "provider/pulumi_github_app_token/pulumi-plugin.json",
            "provider/github_app_token/plugin/schema.json"} <= names
    assert not [n for n in names if n.startswith("tests/")]


def test_the_plugin_archive_holds_one_executable() -> None:
    path = plugin_archive()
    assert path.name.startswith(f"{PLUGIN}-v{V}-") and path.name.endswith(".tar.gz")
    with tarfile.open(path) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert set(members) == {PLUGIN, "LICENSE", "README.md"}
    assert members[PLUGIN].mode & stat.S_IXUSR


def test_the_npm_package_is_compiled_and_stamped() -> None:
    with tarfile.open(artifact(f"pulumi-github-app-token-{V}.tgz")) as tgz:
        names = set(tgz.getnames())
        package = json.load(tgz.extractfile("package/package.json"))
    assert {"package/index.js", "package/index.d.ts", "package/installationToken.d.ts",
            "package/LICENSE"} <= names
    assert package["name"] == "pulumi-github-app-token" and package["version"] == V
    assert package["pulumi"] == {
        "resource": True, "name": "github-app-token", "version": V,
        "server": "github://api.github.com/pulumi-github-app-token/pulumi-github-app-token"}


def test_the_python_sdk_wheel_declares_its_plugin() -> None:
    with zipfile.ZipFile(artifact(SDK_WHEEL)) as whl:
        declared = json.loads(whl.read("pulumi_github_app_token_sdk/pulumi-plugin.json"))
        metadata = whl.read(f"pulumi_github_app_token_sdk-{V}.dist-info/METADATA").decode()
    assert declared["name"] == "github-app-token" and declared["version"] == V
    assert "License-Expression: Apache-2.0" in metadata.splitlines()


def test_the_go_module_is_served_as_a_proxy_would() -> None:
    at = DIST / "goproxy" / GO_MODULE / "@v"
    zipped = artifact(f"goproxy/{GO_MODULE}/@v/v{V}.zip")
    assert json.loads((at / f"v{V}.info").read_text())["Version"] == f"v{V}"
    assert (at / f"v{V}.mod").read_text() == (REPO / "sdk/go/go.mod").read_text()
    with zipfile.ZipFile(io.BytesIO(zipped.read_bytes())) as module:
        names = set(module.namelist())
    prefix = f"{GO_MODULE}@v{V}/"
    assert {prefix + "go.mod", prefix + "githubapptoken/installationToken.go",
            prefix + "githubapptoken/pulumi-plugin.json"} <= names
