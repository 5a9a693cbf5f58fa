"""Extract the REST operations the Action calls from GitHub's published OpenAPI description
into tests/data/github-api/action-endpoints.json, for the local fake GitHub to validate against.

Input: `generated/api.github.com.json` of the npm package `@octokit/openapi` (GitHub's
description of api.github.com plus `x-octokit` keys). Every `$ref` is inlined, OpenAPI's
`nullable: true` becomes a JSON Schema `null` type, `example` becomes `examples`, and
vendor `x-*` keys are dropped, so each schema stands alone as JSON Schema 2020-12.

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tools/github_api_schemas.py package/generated/api.github.com.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

OPERATIONS = ("pulls/get", "pulls/list-files", "pulls/list-review-comments", "pulls/get-review-comment",
              "pulls/update-review-comment", "pulls/delete-review-comment", "pulls/list-reviews",
              "pulls/create-review", "pulls/dismiss-review", "repos/get-content", "git/get-blob")
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "github-api" / "action-endpoints.json"


def _resolve(node, document: dict, trail: tuple = ()):
    if isinstance(node, list):
        return [_resolve(item, document, trail) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in trail:
            raise ValueError(f"cycle through {ref}")
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(target, document, trail + (ref,))
    schema = {}
    for key, value in node.items():
        if key.startswith("x-") or key in ("discriminator", "xml", "externalDocs"):
            continue
        if key == "example":
            schema["examples"] = [value]
        elif key == "nullable":
            continue
        else:
            schema[key] = _resolve(value, document, trail)
    if node.get("nullable"):
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema and None not in schema["enum"]:
                schema["enum"] = schema["enum"] + [None]
        else:
            schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def extract(document: dict) -> dict:
    operations = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or operation.get("operationId") not in OPERATIONS:
                continue
            entry = {"method": method.upper(), "path": path,
                     "documentation_url": operation.get("externalDocs", {}).get("url", "")}
            body = _resolve(operation.get("requestBody"), document)
            if body:
                entry["requestBody"] = {"schema": body["content"]["application/json"]["schema"]}
            responses = {}
            for status, response in operation.get("responses", {}).items():
                response = _resolve(response, document)
                schema = (response.get("content") or {}).get("application/json", {}).get("schema")
                if status.startswith("2"):
                    responses[status] = {"schema": schema} if schema else {}
            entry["responses"] = responses
            operations[operation["operationId"]] = entry
    missing = set(OPERATIONS) - set(operations)
    if missing:
        raise SystemExit(f"not in the description: {', '.join(sorted(missing))}")
    return dict(sorted(operations.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("description", type=Path, help="generated/api.github.com.json of @octokit/openapi")
    args = parser.parse_args()
    raw = args.description.read_bytes()
    document = json.loads(raw)
    result = {"source": {"package": "npm @octokit/openapi", "version": document["info"]["version"],
                         "file": "generated/api.github.com.json", "sha256": hashlib.sha256(raw).hexdigest(),
                         "upstream": "github/rest-api-description descriptions/api.github.com/api.github.com.json"},
              "operations": extract(document)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    print(f"{OUT}: {len(result['operations'])} operations, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
