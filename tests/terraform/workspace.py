"""The real OpenTofu CLI in a scratch folder, using the installed provider through dev_overrides.

Every command's stdout and stderr are kept, TF_LOG=trace goes to a file, and `artifacts()`
gathers every byte OpenTofu wrote (states, backups, plan files unzipped, logs, output) for the
secret search.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from ..support.paths import REPO

SOURCE = "registry.opentofu.org/githubapp/githubapp"
"""The provider's source address in every configuration, docs and examples included."""
EXE = Path(sys.executable).with_name("terraform-provider-githubapp")
TOKEN_PREFIX = b"ghs_"
"""Every installation token the emulator mints starts so (both of its formats)."""


def tofu_path() -> Path:
    """Where tools/opentofu/tofu.sh puts the binary (or $TOFU)."""
    found = os.environ.get("TOFU")
    return Path(found) if found else REPO / ".cache" / "opentofu" / "v1.11.6" / "tofu"


def write_clock_launcher(bin_dir: Path, emulator_url: str) -> Path:
    """A `terraform-provider-githubapp` that runs the provider on the emulator's clock.

    Tests "wait an hour" by shifting the emulator's clock; the provider decides renewal by its
    own clock, so each process must see the same hour pass: the emulator's shipped launcher
    (`python -m github_app_emulator launcher --also terraform-provider-githubapp`) does that.
    """
    from github_app_emulator.launcher import write_launchers

    write_launchers(bin_dir, emulator_url, also=(EXE.name,))
    return bin_dir / EXE.name


class Workspace:
    """One OpenTofu working directory with its own CLI configuration and environment."""

    def __init__(self, tofu: Path, root: Path, env: dict[str, str],
                 plugin_dir: Path | None = None) -> None:
        self.tofu, self.root = tofu, root
        self.dir = root / "config"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.plugin_dir = plugin_dir or root / "plugins"
        if plugin_dir is None:
            self.plugin_dir.mkdir(exist_ok=True)
            (self.plugin_dir / EXE.name).symlink_to(EXE)
        cli_config = root / "tofu.rc"
        cli_config.write_text(
            "provider_installation {\n"
            f"  dev_overrides {{\n    \"{SOURCE}\" = \"{self.plugin_dir}\"\n  }}\n"
            "  direct {}\n}\n")
        self.log = root / "tf.log"
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("GITHUB_", "TF_", "PLUGIN_"))}
        self.env = {**clean, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1",
                    "CHECKPOINT_DISABLE": "1", "TF_LOG": "trace", "TF_LOG_PATH": str(self.log),
                    "TF_DATA_DIR": str(root / "data"), **env}
        self.outputs: list[bytes] = []

    def write(self, main_tf: str) -> None:
        (self.dir / "main.tf").write_text(
            "terraform {\n  required_providers {\n"
            f"    githubapp = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\n" + main_tf)

    def run(self, *args: str, ok: bool = True, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(self.tofu), *args], cwd=self.dir, capture_output=True,
                              text=True, timeout=300, env={**self.env, **(env or {})})
        self.outputs += [done.stdout.encode(), done.stderr.encode()]
        if ok and done.returncode != 0:
            raise AssertionError(f"tofu {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def apply(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("apply", "-auto-approve", "-input=false", "-no-color", *args)

    def state(self) -> dict[str, Any]:
        path = self.dir / "terraform.tfstate"
        return json.loads(path.read_text()) if path.exists() else {"resources": []}

    def instances(self, type_name: str) -> list[dict[str, Any]]:
        return [instance["attributes"] for resource in self.state()["resources"]
                if resource["type"] == type_name and resource.get("mode") == "managed"
                for instance in resource["instances"]]

    def held_tokens(self) -> list[str]:
        """The managed tokens in state: the only tokens allowed to stay live."""
        return [attrs["token"] for attrs in self.instances("githubapp_installation_token")]

    def artifacts(self) -> dict[str, bytes]:
        """Every byte OpenTofu wrote or printed: name -> content (plan files unzipped)."""
        found: dict[str, bytes] = {f"output[{i}]": out for i, out in enumerate(self.outputs)}
        if self.log.exists():
            found["TF_LOG"] = self.log.read_bytes()
        for path in [*self.dir.rglob("*"), *(self.root / "data").rglob("*")]:
            if not path.is_file() or path.name == "main.tf" or ".terraform" in path.parts:
                continue
            data = path.read_bytes()
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        found[f"{path.name}:{member}"] = archive.read(member)
            found[str(path.relative_to(self.root))] = data
        return found
