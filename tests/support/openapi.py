"""Validate response bodies against GitHub's OpenAPI 3.0.3 extract (tests/data/github-rest).

OpenAPI 3.0 is not JSON Schema: `nullable: true` is
turned into a type union and `#/components/...` references are resolved against the spec.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SPEC_FILE = "installation-tokens.openapi.json"
_OPENAPI_ONLY = {"example", "examples", "deprecated", "externalDocs", "xml", "discriminator"}


SPEC_DIR = Path(__file__).resolve().parents[1] / "data" / "github-rest"


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    with open(SPEC_DIR / SPEC_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def to_json_schema(node: Any) -> Any:
    """Convert an OpenAPI 3.0 schema (recursively) into plain JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:  # OpenAPI 3.0 ignores siblings of $ref
        return {"$ref": node["$ref"]}
    out = {
        key: to_json_schema(value)
        for key, value in node.items()
        if key not in _OPENAPI_ONLY and not key.startswith("x-") and key != "nullable"
    }
    # `properties` maps names to schemas: the names themselves must not be filtered.
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: to_json_schema(v) for k, v in node["properties"].items()}
    if node.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:  # e.g. `{"nullable": true, "anyOf": [...]}`
            out = {"anyOf": [{"type": "null"}, out]}
    return out


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise LookupError(f"only local references are supported: {ref}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@functools.lru_cache(maxsize=1)
def _components() -> dict[str, Any]:
    return to_json_schema(copy.deepcopy(load_spec()["components"]))


def response_spec(method: str, path_template: str, status: int) -> dict[str, Any]:
    """The spec's response object for an operation and status (references followed)."""
    spec = load_spec()
    try:
        operation = spec["paths"][path_template][method.lower()]
    except KeyError:
        raise LookupError(f"the spec has no operation {method.upper()} {path_template}") from None
    responses = operation["responses"]
    if str(status) not in responses:
        raise LookupError(
            f"{method.upper()} {path_template} declares no {status} response "
            f"(declared: {', '.join(responses)})"
        )
    response = responses[str(status)]
    while "$ref" in response:
        response = _resolve(spec, response["$ref"])
    return response


def response_schema(method: str, path_template: str, status: int) -> dict[str, Any] | None:
    """JSON Schema for the body, or None when the spec declares no body (204, 304)."""
    content = response_spec(method, path_template, status).get("content")
    if not content:
        return None
    schema = content["application/json"]["schema"]
    # The components travel with the schema so `#/components/...` references resolve.
    return {"allOf": [to_json_schema(schema)], "components": _components()}


def validate_response(method: str, path_template: str, status: int, body: Any) -> None:
    """Raise if `body` is not what the spec allows for this operation and status.

    Raises LookupError for an operation/status the spec does not declare, and
    jsonschema.ValidationError for a body that does not match.
    """
    schema = response_schema(method, path_template, status)
    if schema is None:
        if body not in (None, b"", ""):
            raise jsonschema.ValidationError(f"{status} must have no body, got {body!r}")
        return
    jsonschema.Draft202012Validator(schema).validate(body)
