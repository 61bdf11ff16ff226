"""Request bodies of the Vast routes, validated at the edge (pydantic), with Vast-shaped errors.

Fields follow openapi and what the official client sends; unknown fields are accepted and
ignored, as the real service does (the client sends `client_id`, `python_utf8`, ...).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pulumi_vast.sim.errors import BadRequest

__all__ = [
    "DEFAULT_DISK",
    "MAX_LABEL",
    "MAX_ONSTART",
    "MAX_VOLUME_GB",
    "RUNTYPE_TOKENS",
    "CreateInstanceBody",
    "ManageInstanceBody",
    "SshKeyBody",
    "VolumeInfoBody",
    "invalid_args",
    "parse_body",
]

MAX_ONSTART = 4048
"""openapi: "`onstart` field is limited to 4048 characters"."""
MAX_LABEL = 1024
MAX_VOLUME_GB = 1e6
"""More than any disk offers (a petabyte): larger asks are refused, not compared."""
DEFAULT_DISK = 10.0
"""GB of disk an instance gets when neither its request nor its template says."""
RUNTYPE_TOKENS = frozenset(
    {
        "ssh",
        "jupyter",
        "args",
        "ssh_proxy",
        "ssh_direct",
        "ssh_direc",
        "jupyter_proxy",
        "jupyter_direct",
        "jupyter_direc",
    }
)
"""openapi's runtype enum plus the official client's composite spellings
("ssh_direc ssh_proxy")."""


class VolumeInfoBody(BaseModel):
    """A create's volume: a new one from a volume offer, or one of the account's, mounted at
    `mount_path` (openapi; the official client also sends `name` for a new one)."""

    model_config = ConfigDict(extra="allow")

    create_new: bool = False
    volume_id: int = Field(gt=0)
    """A volume offer's id (`create_new`), else an existing volume's."""
    size: float | None = Field(default=None, gt=0, le=MAX_VOLUME_GB)
    mount_path: str = Field(min_length=1, max_length=1024)
    name: str | None = Field(default=None, max_length=MAX_LABEL)


class CreateInstanceBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    image: str | None = None
    template_hash_id: str | None = None
    disk: float | None = Field(default=None, gt=0)
    """GB; absent: the template's recommended disk, else `DEFAULT_DISK`."""
    env: Any = None
    onstart: str | None = Field(default=None, max_length=MAX_ONSTART)
    label: str | None = Field(default=None, max_length=MAX_LABEL)
    runtype: str | None = None
    args: list[str] | None = None
    args_str: str | None = None
    price: float | None = None
    target_state: Literal["running", "stopped"] | None = None
    cancel_unavail: bool | None = None
    volume_info: VolumeInfoBody | None = None

    @field_validator("runtype")
    @classmethod
    def _known_runtype(cls, value: str | None) -> str | None:
        if value is None:
            return None
        unknown = [token for token in value.split() if token not in RUNTYPE_TOKENS]
        if unknown or not value.split():
            valid = ", ".join(sorted(RUNTYPE_TOKENS))
            raise ValueError(f"unknown runtype {value!r}; valid: {valid}")
        return value


class ManageInstanceBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    state: Literal["running", "stopped"] | None = None
    label: str | None = Field(default=None, max_length=MAX_LABEL)


class SshKeyBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    ssh_key: str | None = None


_Model = TypeVar("_Model", bound=BaseModel)


def parse_body(model: type[_Model], body: Any) -> _Model:
    """`body` as `model`, or a 400 ``invalid_args`` naming each bad field and why."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_args(exc) from exc


def invalid_args(exc: ValidationError) -> BadRequest:
    """A 400 ``invalid_args`` naming each bad field and why (never the value given)."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()
    )
    return BadRequest(f"Invalid args: {problems}")
