"""The README's input table is the declaration, rendered; this test keeps them equal.

After changing provider/github_app_token/declaration.py, print the new table with
`.venv/bin/python tests/test_readme_inputs.py` and paste it under "## Inputs".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
sys.path.insert(0, str(README.parent / "provider"))  # also runnable as a plain script

from github_app_token.declaration import INPUTS, Input  # noqa: E402

_TYPES = {"integer": "integer", "string": "string", "boolean": "boolean"}


def _type(schema: dict[str, Any]) -> str:
    if schema["type"] == "array":
        return f"list of {_TYPES[schema['items']['type']]}s"
    if schema["type"] == "object":
        return f"map of {_TYPES[schema['additionalProperties']['type']]}s"
    return _TYPES[schema["type"]]


def _default(spec: Input) -> str:
    sources = [f"`{var}`" + (" (the key's text or a path)" if var.endswith("_FILE") else "")
               for var in spec.env]
    if spec.default is not None:
        sources.append(f"`{json.dumps(spec.default).strip(chr(34))}`")
    return ", else ".join(sources)


def render() -> str:
    rows = ["| input | type | default | notes |", "|---|---|---|---|"]
    rows += [f"| `{spec.name}` | {_type(spec.schema)}{', secret' if spec.secret else ''} | "
             f"{_default(spec)} | {spec.doc.replace('|', '&#124;')} |" for spec in INPUTS]
    return "\n".join(rows)


def readme_table() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Inputs\n", 1)[1]
    lines = section.split("\n## ", 1)[0].splitlines()
    return "\n".join(line for line in lines if line.startswith("|"))


def test_readme_input_table_equals_the_declaration() -> None:
    assert readme_table() == render(), (
        "README's input table is out of date; print the new one with "
        "`.venv/bin/python tests/test_readme_inputs.py`")


if __name__ == "__main__":
    print(render())
