"""The examples of docs/sdks.md against the packed SDKs: TypeScript type-checks against the npm
tarball, Go builds against the module by version, Python runs under Pulumi's mocks.

The language hosts of TypeScript and Go cannot be built here (they are not on the Go module
proxy), so those programs are compiled, not run; the protocol they would speak is the one the
YAML stack of test_plugin_archive.py runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

from github_app_token.plugin.schema import GO_MODULE, PYTHON_SDK
from github_app_token.version import __version__

from ..support.paths import REPO
from .conftest import DIST, artifact, doc_example, run, tool

PULUMI_GO_SDK = "v3.274.1"
TSCONFIG = {"compilerOptions": {"strict": True, "noEmit": True, "target": "ES2020",
                                "module": "commonjs", "moduleResolution": "node",
                                "types": ["node"]}}


def test_typescript_program_type_checks_against_the_npm_package(tmp_path: Path) -> None:
    tool("npm")
    tarball = artifact(f"pulumi-github-app-token-{__version__}.tgz")
    with tarfile.open(tarball) as tgz:
        sdk = json.load(tgz.extractfile("package/package.json"))
    (tmp_path / "package.json").write_text(json.dumps({
        "name": "reader-token", "private": True,
        "dependencies": {"pulumi-github-app-token": f"file:{tarball}"},
        "devDependencies": sdk["devDependencies"],  # the typescript the SDK was built with
    }))
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (tmp_path / "index.ts").write_text(doc_example("typescript"))
    # A wrong type must be caught: proof that the SDK's declarations are what tsc checks.
    (tmp_path / "wrong.ts").write_text(doc_example("typescript").replace(
        'owner: "octo-org"', "owner: 42"))
    env = {**os.environ, "npm_config_cache": str(REPO / ".cache" / "npm"),
           "npm_config_update_notifier": "false"}
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=tmp_path, env=env)

    checked = subprocess.run(["npx", "--no-install", "tsc", "-p", "."], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=600)
    errors = re.findall(r"^(\S+)\(\d+,\d+\): error (TS\d+)", checked.stdout, re.MULTILINE)
    assert errors == [("wrong.ts", "TS2322")], checked.stdout + checked.stderr


def test_go_program_builds_against_the_module_by_version(tmp_path: Path) -> None:
    go = tool("go")
    proxy = DIST / "goproxy"
    artifact(f"goproxy/{GO_MODULE}/@v/v{__version__}.zip")
    upstream = run([go, "env", "GOPROXY"]).stdout.strip()
    env = {**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=mod",
           "GOPROXY": f"{proxy.as_uri()},{upstream}",
           "GONOSUMDB": GO_MODULE}  # not published yet: no checksum database entry
    (tmp_path / "go.mod").write_text("module example.com/reader-token\n\ngo 1.26.6\n")
    (tmp_path / "main.go").write_text(doc_example("go"))
    run([go, "get", f"{GO_MODULE}@v{__version__}",
         f"github.com/pulumi/pulumi/sdk/v3@{PULUMI_GO_SDK}"], cwd=tmp_path, env=env, timeout=1800)
    run([go, "mod", "tidy"], cwd=tmp_path, env=env, timeout=1800)
    versions = run([go, "list", "-m", "-f", "{{.Path}} {{.Version}}", GO_MODULE,
                    "github.com/pulumi/pulumi/sdk/v3"], cwd=tmp_path, env=env).stdout.split("\n")
    assert versions[:2] == [f"{GO_MODULE} v{__version__}",
                            f"github.com/pulumi/pulumi/sdk/v3 {PULUMI_GO_SDK}"]
    run([go, "vet", ".", f"{GO_MODULE}/githubapptoken/..."], cwd=tmp_path, env=env, timeout=1800)
    run([go, "build", "-o", str(tmp_path / "reader-token"), "."], cwd=tmp_path, env=env,
        timeout=1800)
    assert (tmp_path / "reader-token").is_file()


# Runs the docs' program in the fresh virtualenv under Pulumi's mocks, then prints what each
# resource was registered with.
UNDER_MOCKS = """
import json, runpy, sys
import pulumi

class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.made = []

    def new_resource(self, args):
        self.made.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        return f"{args.name}-id", {**args.inputs, "token": "mock-token", "expiresAt": "never"}

    def call(self, args):
        return {}

mocks = Mocks()
pulumi.runtime.set_mocks(mocks, preview=False)
program = runpy.run_path(sys.argv[1])

@pulumi.runtime.test
def settle():
    return pulumi.Output.all(program["reader"].urn, program["reader"].expires_at)

settle()
import pulumi_github_app_token_sdk as sdk
print(json.dumps({"made": mocks.made, "sdk": sdk.__file__}))
"""


def test_python_program_runs_under_mocks(wheel_venv: Path, tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text(doc_example("python"))
    seen = json.loads(run([str(wheel_venv / "bin" / "python"), "-c", UNDER_MOCKS, str(program)],
                          cwd=tmp_path).stdout.splitlines()[-1])
    assert Path(seen["sdk"]).is_relative_to(wheel_venv) and PYTHON_SDK in seen["sdk"]
    tokens = [r for r in seen["made"] if r["type"] == "github-app-token:index:InstallationToken"]
    assert tokens == [{"type": "github-app-token:index:InstallationToken", "name": "reader",
                       "inputs": {"owner": "octo-org", "repositories": ["infra"],
                                  "permissions": {"contents": "read"},
                                  # the schema's defaults, filled in by the SDK
                                  "renewBefore": 1800, "revokeOnDelete": True}}]

