"""The release workflow cannot run here (it publishes). tests/test_docs.py lints it with
actionlint (tools/actionlint.sh, built from the Go module proxy); this holds it to what
docs/releasing.md promises."""

from __future__ import annotations

from ..support.paths import REPO

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def test_it_tests_then_publishes_every_artifact() -> None:
    text = WORKFLOW.read_text()
    for os_name, arch in [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"),
                          ("darwin", "arm64")]:
        assert f"{{ os: {os_name}, arch: {arch}, runner: " in text
    assert "run: make test" in text and "tools/dist.sh plugin" in text
    assert "gh release create" in text                      # the plugin archives
    assert "pypa/gh-action-pypi-publish" in text            # trusted publishing to PyPI
    assert "npm publish --provenance" in text
    assert 'git tag "sdk/go/$GITHUB_REF_NAME"' in text      # the Go module's tag
