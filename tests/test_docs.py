"""The docs stay true where that is cheap to check.

- every relative link in the Markdown a user reads points at a file that exists;
- every example has a README that names each configuration key its program reads, and the
  examples' index lists every example;
- a user's stack files in examples/ are ignored by git;
- the YAML in docs and examples uses only properties the plugin's schema has;
- the GitHub Actions workflows pass actionlint (built from the Go module proxy).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .support.paths import REPO

EXAMPLES = REPO / "examples"
DOCS = sorted([REPO / "README.md", REPO / "CONTRIBUTING.md", REPO / "CHANGELOG.md",
               REPO / "ARCHITECTURE.md", REPO / "RELIABILITY.md", *REPO.glob("docs/*.md"),
               *EXAMPLES.glob("*/README.md"), EXAMPLES / "README.md",
               REPO / "benchmarks" / "README.md"])
# Written on other branches of this round; a link to one is allowed until it lands.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SCHEMA = json.loads((REPO / "provider" / "github_app_token" / "plugin" / "schema.json")
                    .read_text())
TOKEN_TYPE = "github-app-token:index:InstallationToken"


def relative_links(doc: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
    return [target.split("#", 1)[0] for target in LINK.findall(text)
            if not re.match(r"[a-z]+:", target) and not target.startswith("#")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_point_at_files(doc: Path) -> None:
    missing = []
    for target in relative_links(doc):
        path = (doc.parent / target).resolve()
        if not path.exists():
            missing.append(target)
    assert not missing, f"{doc.relative_to(REPO)} links to missing files: {missing}"


def example_dirs() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith("."))


def config_keys(project: Path) -> set[str]:
    """The configuration keys a project's program reads."""
    keys: set[str] = set()
    for program in project.glob("*.py"):
        keys |= set(re.findall(r"config\.(?:require|get)\w*\(\s*\"([^\"]+)\"",
                               program.read_text()))
    if (project / "Pulumi.yaml").exists():
        declared = yaml.safe_load((project / "Pulumi.yaml").read_text()).get("config") or {}
        keys |= set(declared)
    for hcl in project.glob("*.tf"):
        keys |= set(re.findall(r'^variable\s+"([^"]+)"', hcl.read_text(), flags=re.M))
    for workflow in project.glob("*.yml"):
        keys |= set(re.findall(r"\$\{\{\s*secrets\.(\w+)", workflow.read_text()))
    return keys


@pytest.mark.parametrize("example", example_dirs(), ids=lambda p: p.name)
def test_each_example_has_a_readme_naming_its_config(example: Path) -> None:
    readme = example / "README.md"
    assert readme.exists(), f"examples/{example.name} has no README.md"
    text = readme.read_text()
    unnamed = sorted(k for k in config_keys(example) if f"`{k}`" not in text)
    assert not unnamed, f"examples/{example.name}/README.md does not name {unnamed}"
    assert "expected output" in text.lower()


def test_the_readme_names_the_root_projects_config() -> None:
    text = (REPO / "README.md").read_text()
    assert not sorted(k for k in config_keys(REPO) if f"`{k}`" not in text)


def test_the_examples_index_lists_every_example() -> None:
    index = (EXAMPLES / "README.md").read_text()
    assert not [e.name for e in example_dirs() if f"]({e.name}/)" not in index]


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="not a git checkout")
def test_a_users_stack_files_in_examples_are_ignored() -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO,
                              timeout=30).returncode == 0

    assert ignored("examples/yaml/Pulumi.dev.yaml")
    assert ignored("examples/scoped-read/Pulumi.prod.yaml")
    assert not ignored("examples/yaml/Pulumi.yaml")


def yaml_documents() -> list[tuple[str, dict]]:
    """Pulumi YAML programs: the examples' Pulumi.yaml and the ```yaml blocks of the docs."""
    found = [(str(p.relative_to(REPO)), yaml.safe_load(p.read_text()))
             for p in sorted(EXAMPLES.glob("*/Pulumi.yaml"))]
    for doc in DOCS:
        for n, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(), re.S)):
            found.append((f"{doc.relative_to(REPO)} block {n + 1}", yaml.safe_load(block)))
    return [(name, body) for name, body in found
            if isinstance(body, dict) and "resources" in body]


@pytest.mark.parametrize("name,program", yaml_documents(), ids=[n for n, _ in yaml_documents()])
def test_yaml_uses_only_the_schemas_properties(name: str, program: dict) -> None:
    token = SCHEMA["resources"][TOKEN_TYPE]
    kinds = {TOKEN_TYPE: (set(token["inputProperties"]), set(token["properties"])),
             "pulumi:providers:github-app-token": (set(SCHEMA["provider"]["inputProperties"]),
                                                   set())}
    resources = program["resources"]
    ours = {n: r["type"] for n, r in resources.items() if r["type"] in kinds}
    for res_name, kind in ours.items():
        unknown = set(resources[res_name].get("properties") or {}) - kinds[kind][0]
        assert not unknown, f"{name}: {res_name} has no input {sorted(unknown)}"
    text = yaml.safe_dump(program)
    for res_name, prop in re.findall(r"\$\{(\w+)\.(\w+)\}", text):
        if ours.get(res_name) == TOKEN_TYPE:
            assert prop in kinds[TOKEN_TYPE][1], f"{name}: {res_name} has no output {prop}"


def workflows() -> list[Path]:
    return sorted([*EXAMPLES.glob("*/*.yml"), *REPO.glob(".github/workflows/*.yml")])


def test_workflows_pass_actionlint() -> None:
    if shutil.which("go") is None:
        pytest.skip("no go to build actionlint")
    ran = subprocess.run([REPO / "tools" / "actionlint.sh", "-no-color", *workflows()],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def first_hcl_block(doc: Path) -> str:
    text = doc.read_text(encoding="utf-8")
    start = text.index("```hcl")
    return text[start:text.index("```", start + 6)]


def test_the_readmes_terraform_quickstart_is_the_one_the_tests_run() -> None:
    # tests/terraform/test_examples.py applies docs/terraform.md's quickstart against the emulator.
    assert first_hcl_block(REPO / "README.md") == first_hcl_block(REPO / "docs" / "terraform.md")
