"""Bad `EnvVar` inputs: `pulumi-vast:envVars` entries and `EnvVar(...)` in Python. A value
is a secret: no refusal may quote it."""

from __future__ import annotations

from typing import Any

import pulumi

import pulumi_vast as vast
from tests.resources.bad_inputs.rows import DROP, Bad, Program, StackConfig

__all__ = ["ROWS"]

AT = "pulumi-vast:envVars[0]"
SECRET = "hf_SUPERSECRET_0042"
CHECKED = "resource 'hf' has a problem: "
SPACED = SECRET + " and more"


def var(**fields: Any) -> dict[str, Any]:
    """A valid `pulumi-vast:envVars` entry, `HF_TOKEN`, with ``fields`` changed."""
    entry = {"name": "HF_TOKEN", "value": SECRET, **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def config(id_: str, setting: str, fix: str, *entries: dict[str, Any]) -> Bad:
    """A row of ``entries`` under `pulumi-vast:envVars`; ``setting`` is relative to the
    first entry unless it starts with `pulumi-vast:`."""
    where = setting if setting.startswith("pulumi-vast:") else f"{AT}.{setting}"
    given = StackConfig({"pulumi-vast:envVars": list(entries)})
    return Bad(f"config-env-var-{id_}", given, where, fix, secret=SECRET)


def python(id_: str, setting: str, fix: str, secret: str | None = SECRET, **fields: Any) -> Bad:
    inputs = {"name": "HF_TOKEN", "value": SECRET, **fields}
    given = Program(
        lambda f: vast.EnvVar("hf", **{k: v for k, v in inputs.items() if v is not DROP})
    )
    return Bad(f"python-env-var-{id_}", given, f'EnvVar("hf").{setting}', fix, secret)


CONFIG_ROWS = [
    # name: the variable's, in capitals
    config("name-lower-case", "name", "'HF_TOKEN'", var(name="hf_token")),
    config("name-digit-first", "name", "not starting with a digit", var(name="1TOKEN")),
    config("name-docker-flag", "name", "capitals, digits and _", var(name="-v /:/host")),
    config("name-dash", "name", "capitals, digits and _", var(name="HF-TOKEN")),
    config("name-blank", "name", "capitals, digits and _", var(name="   ")),
    config("name-empty", "name", "a name", var(name="")),
    config("name-number", "name", "text", var(name=5)),
    config("name-missing", "name", "a name", var(name=DROP)),
    config("name-too-long", "name", "128", var(name="A" * 200)),
    config("name-newline", "name", "capitals, digits and _", var(name="HF\nTOKEN")),
    config("name-trailing-newline", "name", "capitals, digits and _", var(name="HF_TOKEN\n")),
    # value: text Vast keeps (letters, digits, _, - and .)
    config("value-missing", "value", "is required", var(value=DROP)),
    config("value-empty", "value", "secret", var(value="")),
    config("value-number", "value", "put it in quotes", var(value=42)),
    config("value-bool", "value", "text", var(value=True)),
    config("value-list", "value", "text", var(value=[SECRET])),
    config("value-space", "value", "letters, digits", var(value=SECRET + " x")),
    config("value-newline", "value", "letters, digits", var(value=SECRET + "\n")),
    config("value-slash", "value", "letters, digits", var(value=SECRET + "/+=")),
    config("value-too-long", "value", "4096", var(value=SECRET * 300)),
    # unknown keys, the section
    config("misspelt-value", "vaule", "did you mean 'value'", var(value=DROP, vaule=SECRET)),
    config("unknown-key", "secret", "valid settings", var(secret=True)),
    config("name-duplicate", "pulumi-vast:envVars[1].name", "unique", var(), var()),
    Bad(
        "config-env-vars-mapping",
        StackConfig({"pulumi-vast:envVars": {"HF_TOKEN": SECRET}}),
        "pulumi-vast:envVars",
        "a list",
        SECRET,
    ),
    Bad(
        "config-env-vars-key-typo",
        StackConfig({"pulumi-vast:envvars": [var()]}),
        "pulumi-vast:envvars",
        "did you mean pulumi-vast:envVars",
        SECRET,
    ),
]

PYTHON_ROWS = [
    python("name-lower-case", "name", "'HF_TOKEN'", name="hf_token"),
    python("name-docker-flag", "name", "capitals, digits and _", name="-v /:/host"),
    python("name-missing", "name", "is required", name=DROP),
    python("name-number", "name", "text", name=5),
    python("value-missing", "value", "is required", value=DROP),
    python("value-empty", "value", "secret", value=""),
    python("value-space", "value", "letters, digits", value=SECRET + " x"),
    python("value-bytes", "value", "text", value=SECRET.encode()),
    python("misspelt-keyword", "vaule", "did you mean 'value'", vaule=SECRET),
    Bad(
        "python-env-var-output-value-space",
        Program(lambda f: vast.EnvVar("hf", name="HF_TOKEN", value=pulumi.Output.secret(SPACED))),
        f"{CHECKED}value",
        "letters, digits",
        SPACED,
    ),
]

ROWS: list[Bad] = [*CONFIG_ROWS, *PYTHON_ROWS]
