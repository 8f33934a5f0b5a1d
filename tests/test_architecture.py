"""The import direction of ARCHITECTURE.md, read from the source: data flows one way.

- the runtime (`github_app_token`) never imports the emulator;
- the emulator never imports the runtime, so the two cannot share a bug; one module excepted,
  narrowly (FOLLOW);
- only the Pulumi faces import `pulumi`: the client, inputs and renewal rules know nothing of it;
- the Terraform face (`terraform/`) imports neither pulumi nor the emulator, and nothing outside
  it imports it: the core knows nothing of Terraform.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .support.paths import REPO

RUNTIME = REPO / "provider" / "github_app_token"
EMULATOR = REPO / "provider" / "github_app_emulator"
# The Pulumi faces: the dynamic provider and resource, and the plugin. Everything else is core
# or the Terraform face. (The package's __init__ names them lazily, importing neither.)
PULUMI_FACES = {"provider.py", "resource.py", "plugin"}
TERRAFORM_FACE = RUNTIME / "terraform"
# The one exception: the shipped launcher that runs a user's provider on the emulator's clock
# (for tests of their own stack's renewal) must move the runtime's clock, `clock.now`, in that
# process. It may import that module and nothing else of the runtime, and only when it runs,
# so importing the emulator never loads the runtime.
FOLLOW = EMULATOR / "follow.py"


def imported_roots(path: Path) -> set[str]:
    """Top-level package names that `path` imports (relative imports excluded)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


@pytest.mark.parametrize("path", modules(RUNTIME), ids=lambda p: str(p.relative_to(RUNTIME)))
def test_the_runtime_never_imports_the_emulator(path: Path) -> None:
    assert "github_app_emulator" not in imported_roots(path)


@pytest.mark.parametrize("path", [p for p in modules(EMULATOR) if p != FOLLOW],
                         ids=lambda p: str(p.relative_to(EMULATOR)))
def test_the_emulator_never_imports_the_runtime(path: Path) -> None:
    assert "github_app_token" not in imported_roots(path)


def test_the_launcher_reaches_only_the_runtimes_clock_and_only_when_it_runs() -> None:
    tree = ast.parse(FOLLOW.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    reached = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("github_app_token"):
            reached |= {f"{node.module}.{alias.name}" for alias in node.names}
            assert id(node) not in top_level
        elif isinstance(node, ast.Import):
            assert not [a for a in node.names if a.name.startswith("github_app_token")]
    assert reached == {"github_app_token.clock"}


def _core(path: Path) -> bool:
    return path.relative_to(RUNTIME).parts[0] not in PULUMI_FACES


@pytest.mark.parametrize("path", [p for p in modules(RUNTIME) if _core(p)],
                         ids=lambda p: str(p.relative_to(RUNTIME)))
def test_the_core_knows_nothing_of_pulumi(path: Path) -> None:
    assert "pulumi" not in imported_roots(path)


def _imports_terraform(path: Path) -> bool:
    """Whether `path` imports the Terraform room, absolutely or relatively."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if "terraform" in module.split(".") or (node.level and "terraform" in names):
                return True
        elif isinstance(node, ast.Import) and any(
                "terraform" in alias.name.split(".") for alias in node.names):
            return True
    return False


@pytest.mark.parametrize("path", modules(TERRAFORM_FACE),
                         ids=lambda p: str(p.relative_to(RUNTIME)))
def test_the_terraform_face_imports_neither_pulumi_nor_the_emulator(path: Path) -> None:
    assert not {"pulumi", "github_app_emulator"} & imported_roots(path)


@pytest.mark.parametrize("path", [p for p in modules(RUNTIME) if TERRAFORM_FACE not in p.parents],
                         ids=lambda p: str(p.relative_to(RUNTIME)))
def test_nothing_outside_the_terraform_face_imports_it(path: Path) -> None:
    assert not _imports_terraform(path)


def test_the_lists_are_not_empty() -> None:
    # A moved folder must not turn the checks above into no-ops.
    assert len(modules(RUNTIME)) > 8 and len(modules(EMULATOR)) > 8
    assert len(modules(TERRAFORM_FACE)) > 6
