"""A test's copy of one of the repository's Pulumi projects: the project, never a user's stacks.

Users run the examples in place (`cd examples/NAME && pulumi stack init`), which leaves
`Pulumi.<stack>.yaml` beside `Pulumi.yaml`. Such a stack file carries the salt of the user's
passphrase, so a copy that took it along would make the test's stack of the same name fail
with `incorrect passphrase`. Only the project is copied, and its relative paths (the
virtualenv, a plugin's directory) are made absolute, so runs leave the tree clean.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

STACK_FILE = re.compile(r"^Pulumi\.[^.]+\.ya?ml$")
"""`Pulumi.<stack>.yaml`: a user's stack settings (not `Pulumi.yaml`, the project)."""
LEFT_BEHIND = ("__pycache__", ".pulumi", "venv", ".venv")


def project_files(source: Path) -> list[Path]:
    """The files that make up the project at `source`, relative to it."""
    return sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file()
                  and not STACK_FILE.match(p.name)
                  and not set(p.relative_to(source).parts) & set(LEFT_BEHIND))


def copy_project(source: Path, target: Path, *, files: list[str] | None = None,
                 virtualenv: Path | None = None, plugin_dir: Path | None = None) -> Path:
    """Copy the project at `source` (only `files`, if given) to `target`.

    `plugin_dir` replaces each plugin's path (else made absolute, like the virtualenv).
    """
    for name in files or project_files(source):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, target / name)
    project = yaml.safe_load((source / "Pulumi.yaml").read_text())
    options = project.get("runtime", {}).get("options", {}) if isinstance(
        project.get("runtime"), dict) else {}
    if "virtualenv" in options:
        options["virtualenv"] = str(virtualenv or (source / options["virtualenv"]).resolve())
    for plugin in plugins(project):
        plugin["path"] = str(plugin_dir or (source / plugin["path"]).resolve())
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return target


def plugins(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The `plugins.providers` entries of a parsed Pulumi.yaml."""
    return list((project.get("plugins") or {}).get("providers") or [])
