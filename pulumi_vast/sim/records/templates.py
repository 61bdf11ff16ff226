"""A template: what an instance is made from (image, env, onstart, runtype, disk...).

`TemplateContent` is what a template says, checked at the edge: every field openapi and the
official client send, with openapi's defaults. A template's `hash_id` is derived from its
content, so an edit gives it a new one while its `id` stays; the versions it had before stay
usable by their hash ("the original stays valid for anyone already using it", the official
CLI's `update template`). Its content is sealed at rest whole (`sealing`): the env (often
tokens), the onstart script and the docker login are secrets, and the rest costs nothing
to seal with them. The docker login user and password are never shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pulumi_vast.sim.bodies import MAX_ONSTART, RUNTYPE_TOKENS
from pulumi_vast.sim.envflags import normalize_env
from pulumi_vast.sim.records import Sealer

__all__ = ["DEFAULT_TEMPLATE_DISK", "HIDDEN_FIELDS", "Template", "TemplateContent"]

DEFAULT_TEMPLATE_DISK = 8.0
"""openapi: `recommended_disk_space` "Defaults to 8GB if not specified"."""
MAX_TEXT = 16_384
HIDDEN_FIELDS = frozenset({"docker_login_user", "docker_login_pass"})
"""Kept (sealed) for the image pull, never shown."""


class TemplateContent(BaseModel):
    """What a template says; `None` sent for a field means its default."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=256)
    image: str = Field(min_length=1, max_length=1024)
    tag: str | None = Field(default=None, max_length=256)
    env: str | None = Field(default=None, max_length=MAX_TEXT)
    """Docker flags (``-e K=V -p 8000:8000``), as openapi sends them."""
    onstart: str | None = Field(default=None, max_length=MAX_ONSTART)
    runtype: str = "args"
    args_str: str | None = Field(default=None, max_length=MAX_TEXT)
    ssh_direct: bool = False
    jup_direct: bool = False
    use_ssh: bool = False
    use_jupyter_lab: bool = False
    jupyter_dir: str | None = Field(default=None, max_length=1024)
    docker_login_repo: str | None = Field(default=None, max_length=1024)
    docker_login_user: str | None = Field(default=None, max_length=1024)
    docker_login_pass: str | None = Field(default=None, max_length=4096)
    extra_filters: dict[str, Any] = Field(default_factory=dict)
    recommended_disk_space: float = Field(default=DEFAULT_TEMPLATE_DISK, gt=0, le=1e6)
    desc: str | None = Field(default=None, max_length=MAX_TEXT)
    readme: str | None = Field(default=None, max_length=MAX_TEXT)
    readme_visible: bool = True
    href: str | None = Field(default=None, max_length=2048)
    repo: str | None = Field(default=None, max_length=2048)
    private: bool = True

    @field_validator("runtype")
    @classmethod
    def _known_runtype(cls, value: str) -> str:
        if not value.split() or any(token not in RUNTYPE_TOKENS for token in value.split()):
            raise ValueError(f"unknown runtype; valid: {', '.join(sorted(RUNTYPE_TOKENS))}")
        return value

    @field_validator("env")
    @classmethod
    def _docker_flags(cls, value: str | None) -> str | None:
        if value is not None:
            normalize_env(value)  # refuses what a create could not use
        return value

    @property
    def full_image(self) -> str:
        """The image with its tag, unless the image names one already."""
        if not self.tag or ":" in self.image.rsplit("/", 1)[-1]:
            return self.image
        return f"{self.image}:{self.tag}"

    def env_vars(self) -> dict[str, str]:
        """The env as a create request's dict (see `envflags`)."""
        return normalize_env(self.env)

    def canonical(self) -> str:
        """The content as text, the same for the same content (what the hash is made of)."""
        return json.dumps(self.model_dump(), sort_keys=True)

    def shown(self) -> dict[str, Any]:
        """What a search shows of it."""
        return self.model_dump(exclude=set(HIDDEN_FIELDS))


@dataclass
class Template:
    id: int
    account: str | None
    """The owner's digest; None for the templates Vast publishes (`recommended`)."""
    creator_id: int
    hash_id: str
    content: TemplateContent
    created_at: float
    count_created: int = 0
    """Instances made from it: its popularity."""
    recent_create_date: float | None = None
    earlier: dict[str, TemplateContent] = field(default_factory=dict)
    """The versions it had before, by their hash."""

    @property
    def recommended(self) -> bool:
        return self.account is None

    def visible_to(self, owner: str) -> bool:
        return self.account is None or self.account == owner or not self.content.private

    def to_json(self) -> dict[str, Any]:
        """As `GET /api/v0/template/` lists it."""
        return {
            "id": self.id,
            "hash_id": self.hash_id,
            **self.content.shown(),
            "default_tag": self.content.tag or "latest",
            "creator_id": self.creator_id,
            "created_at": self.created_at,
            "count_created": self.count_created,
            "recent_create_date": self.recent_create_date,
            "recommended": self.recommended,
        }

    def to_record(self, sealer: Sealer) -> dict[str, Any]:
        secret = {
            "content": self.content.model_dump(),
            "earlier": {hash_id: old.model_dump() for hash_id, old in self.earlier.items()},
        }
        return {
            "id": self.id,
            "account": self.account,
            "creator_id": self.creator_id,
            "hash_id": self.hash_id,
            "created_at": self.created_at,
            "count_created": self.count_created,
            "recent_create_date": self.recent_create_date,
            "sealed": sealer.seal(json.dumps(secret)),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], sealer: Sealer) -> Template:
        data = dict(record)
        secret = json.loads(sealer.unseal(data.pop("sealed")))
        data["content"] = TemplateContent.model_validate(secret["content"])
        data["earlier"] = {
            hash_id: TemplateContent.model_validate(old)
            for hash_id, old in secret["earlier"].items()
        }
        return cls(**data)
