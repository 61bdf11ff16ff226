"""What the fidelity tests share: the official CLI run against the simulator, and response
bodies checked against openapi (`openapi_subset`), patched where the document is known to
disagree with the real service (`DEVIATIONS`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.sim import openapi_subset

__all__ = ["DEVIATIONS", "VASTAI", "CliRunner", "assert_schema", "cli_runner", "ok"]

SPEC_URI = "urn:vast-openapi"
VASTAI = Path(sys.executable).parent / "vastai"

DEVIATIONS = """
- GET /api/v0/instances/{id}: the `Instance` component types `ports` as an array of
  integers and `extra_env` as an array of strings; the service (openapi's own v1 list
  schema, and the official client: `ports["22/tcp"][0]["HostPort"]`, `extra_env` read as
  [key, value] pairs) sends Docker's port map and pairs. Validated against the v1 shapes.
- GET /api/v0/instances/{id}: a destroyed instance answers {"instances": null} (NOTES field
  notes; the official CLI handles it), which the schema does not allow.
- 429: openapi shows a JSON {"detail": ...} body; NOTES field notes say the real service
  sends plain text without Retry-After. The simulator follows the field notes.
"""


@cache
def spec() -> dict[str, Any]:
    patched = openapi_subset.load()
    v1_row = patched["paths"]["/api/v1/instances"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["properties"]["instances"]["items"]["properties"]
    instance = patched["components"]["schemas"]["Instance"]["properties"]
    instance["ports"] = v1_row["ports"]
    instance["extra_env"] = v1_row["extra_env"]
    show = patched["paths"]["/api/v0/instances/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["properties"]
    show["instances"] = {"anyOf": [show["instances"], {"type": "null"}]}
    return patched


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def assert_schema(path: str, method: str, status: int, body: Any) -> None:
    """`body` validates against openapi's response schema for (path, method, status)."""
    responses = spec()["paths"][path][method]["responses"]
    assert str(status) in responses, f"openapi documents no {status} for {method} {path}"
    pointer = _pointer(
        "paths", path, method, "responses", str(status), "content", "application/json", "schema"
    )
    validator = jsonschema.Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=_registry())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{method.upper()} {path} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in errors[:10]
    )


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


def cli_runner(url: str, api_key: str, home: Path, *, names_url: str | None = None) -> CliRunner:
    """Run the official CLI as a user would, against `url` as `api_key`, in a clean `home`.

    ``VAST_URL`` is `names_url` (default `url`). The official client sends the serverless
    autoscaler's routes to run.vast.ai when ``--url`` is its default (``VAST_URL``), so
    tests of those routes name the simulator differently there (``localhost``)."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_DATA_HOME": str(home / "data"),
        "VAST_URL": names_url or url,  # the CLI also fetches GPU names from here at import
        "VASTAI_NO_UPDATE_CHECK": "1",
        "COLUMNS": "250",
        "LINES": "1000",
    }

    def run(*args: str, raw: bool = False) -> subprocess.CompletedProcess[str]:
        command = [str(VASTAI), "--url", url, "--api-key", api_key, "--full", "--no-color"]
        if raw:
            command.append("--raw")
        result = subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, timeout=120
        )
        return result

    return run


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The command's output, without terminal colours, after checking it exited 0."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return _ANSI.sub("", result.stdout)
