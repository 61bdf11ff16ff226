"""The part of the official API description the fidelity tests validate against.

`../shared/vast-api/openapi.yaml` is not in the repository, so the response schemas of
the routes the simulator serves are kept in `data/openapi-subset.json`, extracted from it
(with every component they reference). `test_fidelity` checks the copy against the
original whenever `../shared` is there. Regenerate with:

    .venv/bin/python -m tests.sim.openapi_subset
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["PATHS", "SOURCE", "VENDORED", "extract", "load"]

SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "vast-api" / "openapi.yaml"
VENDORED = Path(__file__).resolve().parent / "data" / "openapi-subset.json"
PATHS = (
    "/api/v0/bundles",
    "/api/v0/charges",
    "/api/v0/asks/{id}",
    "/api/v0/instances/{id}",
    "/api/v1/instances",
    "/api/v0/instances/{id}/ssh",
    "/api/v0/instances/{id}/ssh/{ssh_key_id}",
    "/api/v0/ssh",
    "/api/v0/ssh/{id}",
    "/api/v0/users/current",
    "/api/v0/secrets",
    "/api/v0/template",
    "/api/v0/volumes",
    "/api/v0/volumes/search",
)
_COMPONENT = "#/components/schemas/"


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    return set()


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` reduced to `PATHS` and the component schemas they reach."""
    paths = {path: spec["paths"][path] for path in PATHS}
    schemas = spec["components"]["schemas"]
    wanted: dict[str, Any] = {}
    pending = _references(paths)
    while pending:
        ref = pending.pop()
        name = ref.removeprefix(_COMPONENT)
        if ref.startswith(_COMPONENT) and name not in wanted:
            wanted[name] = schemas[name]
            pending |= _references(schemas[name])
    return {
        "openapi": spec["openapi"],
        "paths": paths,
        "components": {"schemas": dict(sorted(wanted.items()))},
    }


def load() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(VENDORED.read_text())
    return result


def main() -> None:
    subset = extract(yaml.safe_load(SOURCE.read_text()))
    VENDORED.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
