"""sdk/ is exactly what tools/sdkgen makes from the plugin's schema, at this version.

`make sdk` regenerates both the schema and sdk/; the schema itself is kept in sync by
tests/test_plugin.py. What the SDKs do is proven on their packed form, in tests/dist/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from github_app_token.plugin.schema import GO_MODULE, SCHEMA_PATH
from github_app_token.version import __version__

from .support.paths import REPO

SDK = REPO / "sdk"
# go.mod and go.sum belong to `go mod tidy` once written (sdkgen writes a first go.mod only).
TIDY_OWNED = {"go/go.mod", "go/go.sum"}
PULUMI_GO_SDK = "v3.274.1"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def sdkgen() -> Path:
    """tools/sdkgen, built from the Go module proxy (a second when the Go cache is warm)."""
    if shutil.which("go") is None:
        if os.environ.get("REQUIRE_DIST"):
            pytest.fail("no `go` on PATH to build tools/sdkgen")
        pytest.skip("no `go` on PATH to build tools/sdkgen")
    built = subprocess.run([str(REPO / "tools/sdkgen/build.sh")], capture_output=True,
                           text=True, timeout=1800)
    assert built.returncode == 0, built.stderr
    return Path(built.stdout.strip())


def test_sdk_is_what_sdkgen_makes_from_the_schema(sdkgen: Path, tmp_path: Path) -> None:
    subprocess.run([str(sdkgen), "generate", "-schema", str(SCHEMA_PATH), "-out",
                    str(tmp_path)], check=True, timeout=300)
    fresh = {k: v for k, v in tree(tmp_path).items() if k not in TIDY_OWNED}
    committed = {k: v for k, v in tree(SDK).items() if k not in TIDY_OWNED}
    stale = sorted(k for k in fresh.keys() | committed.keys() if fresh.get(k) != committed.get(k))
    assert not stale, f"sdk/ is out of date ({', '.join(stale[:8])}...): run `make sdk`"


def test_every_version_is_stamped() -> None:
    files = tree(SDK)
    assert not [name for name, body in files.items() if b"${VERSION}" in body]
    assert json.loads(files["nodejs/package.json"])["version"] == __version__
    assert f'version = "{__version__}"'.encode() in files["python/pyproject.toml"]
    plugin_files = [name for name in files if name.endswith("pulumi-plugin.json")]
    assert len(plugin_files) == 2  # go and python; nodejs keeps it in package.json
    for declared in [json.loads(files[n]) for n in plugin_files] + [
            json.loads(files["nodejs/package.json"])["pulumi"]]:
        assert declared["name"] == "github-app-token"
        assert declared["version"] == __version__
        assert declared["resource"] is True


def test_the_go_module_is_the_schemas_and_pins_the_pulumi_sdk() -> None:
    go_mod = (SDK / "go/go.mod").read_text()
    assert go_mod.splitlines()[0] == f"module {GO_MODULE}"
    assert re.search(rf"github\.com/pulumi/pulumi/sdk/v3 {re.escape(PULUMI_GO_SDK)}\n", go_mod)
    assert (SDK / "go/go.sum").is_file(), "run `make sdk` (go mod tidy writes go.sum)"
