"""Templates: a saved launch configuration (image, env, onstart, runtype, disk, offer
filters) that instances are created from by its ``hash_id``.

Routes, and where openapi and the official client (vastai 1.9.1) disagree:

- search: ``GET /api/v0/template/`` with ``select_cols=["*"]`` and ``select_filters``
  (the search operators over template columns) answers ``{"templates": [...]}``: the
  account's own templates *and* public ones. `TemplatesClient.list` keeps the account's
  own (``creator_id`` is the key's user).
- create: ``POST /api/v0/template/`` answers ``{"success", "msg", "template": {"id",
  "hash_id", "name"}}``. The body has the keys the official ``create_template`` sends, and
  openapi's ``docker_login_user``/``docker_login_pass`` when a registry login is given
  (the official ``--login`` sends only the registry's name, so its templates cannot pull
  a private image) and ``args_str`` when there are container arguments.
- update: openapi documents ``PUT /api/v0/template/`` with the ``hash_id`` and only the
  changed fields; the official client sends ``PUT /api/v1/template/`` with the whole
  template, its numeric ``id`` and its ``hash_id``. We follow the official client (what
  Vast accepts today, per NOTES.md); either way the edit answers a new ``hash_id`` (it is
  a hash of the content) and keeps the ``id``. The same content gives the same hash, so
  the update is safe to repeat.
- delete: openapi sends ``{"template_id": id}``, the official client ``hash_id`` or
  ``template_id``; we send ``template_id``, which both accept. Deleting removes the
  account's link to the template, instances created from it are untouched.

The registry password and the env values (which may hold tokens) are secrets: never in a
``repr``, and redacted from any error that quotes the request.
"""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.docker_options import parse_docker_options, render_docker_options
from pulumi_vast.api.errors import NotFound
from pulumi_vast.api.instances import MAX_ONSTART_LENGTH, port_mapping
from pulumi_vast.api.offer_fields import GPU_OFFERS
from pulumi_vast.api.query import Query, parse_query
from pulumi_vast.api.users import UsersClient

if TYPE_CHECKING:
    from pulumi_vast.api.transport import Transport

__all__ = [
    "MAX_TEMPLATE_DISK_GB",
    "MAX_TEMPLATE_NAME_LENGTH",
    "MAX_TEMPLATE_TEXT_LENGTH",
    "TEMPLATE_SEARCH_DEFAULTS",
    "Template",
    "TemplateRequest",
    "TemplateRuntype",
    "TemplatesClient",
]

_ROUTE = "/api/v0/template/"
# openapi gives no limits; these are the simulator's, which refuses longer text.
MAX_TEMPLATE_NAME_LENGTH = 256
MAX_TEMPLATE_TEXT_LENGTH = 16_384
"""Of its readme (and Docker options, args, description)."""
MAX_TEMPLATE_DISK_GB = 1e6
_UPDATE_ROUTE = "/api/v1/template/"

TemplateRuntype = Literal["ssh", "jupyter", "args"]

TEMPLATE_SEARCH_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "verified": {"eq": True},
    "external": {"eq": False},
    "rentable": {"eq": True},
}
"""The offer filters the official client puts in a template's ``extra_filters`` beside its
search query (not ``rented``: a template may be launched on a machine one rents)."""


class Template(VastModel):
    """A template as the search returns it (create and update answer only ``id``,
    ``hash_id`` and ``name``: `TemplatesClient.get` reads the rest)."""

    id: int
    hash_id: str
    name: str | None = None
    image: str | None = None
    tag: str | None = None
    env: str | None = Field(default=None, repr=False)
    """The Docker options string (``-e KEY=value -p 8080:8080``); see `env_vars`, `ports`."""
    onstart: str | None = Field(default=None, repr=False)
    runtype: str | None = None
    ssh_direct: bool | None = None
    jup_direct: bool | None = None
    use_ssh: bool | None = None
    use_jupyter_lab: bool | None = None
    jupyter_dir: str | None = None
    args_str: str | None = None
    recommended_disk_space: float | None = None
    """Disk in GB an instance of it should get."""
    readme: str | None = Field(default=None, repr=False)
    readme_visible: bool | None = None
    desc: str | None = None
    href: str | None = None
    repo: str | None = None
    private: bool | None = None
    docker_login_repo: str | None = None
    docker_login_user: str | None = None
    docker_login_pass: SecretStr | None = None
    extra_filters: dict[str, Any] = Field(default_factory=dict)
    """Offer search filters in API units (``{"gpu_ram": {"gte": 24000.0}}``)."""
    creator_id: int | None = None
    created_at: float | None = None
    count_created: int | None = None
    recommended: bool | None = None

    @field_validator("extra_filters", mode="before")
    @classmethod
    def _filters(cls, value: Any) -> Any:
        # openapi types it as an object; the service sends some JSON columns as text (an
        # instance's ssh_keys), so text is read too.
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                return value
        return {} if value is None else value

    @property
    def env_vars(self) -> dict[str, str]:
        """The variables its Docker options set."""
        return parse_docker_options(self.env).env

    @property
    def ports(self) -> tuple[str, ...]:
        """The ports its Docker options expose (``"8080:8080"``)."""
        return parse_docker_options(self.env).ports

    @property
    def disk_gb(self) -> float | None:
        return self.recommended_disk_space


class TemplateRequest(BaseModel):
    """A template to create, or the whole new content of one to update; ``to_payload()`` is
    the body. ``env``/``ports`` become the Docker options string; ``search`` (a GPU offer
    query, or its text) becomes ``extra_filters`` with `TEMPLATE_SEARCH_DEFAULTS` where
    the query does not set those fields (``search_defaults=False`` drops them).
    ``direct`` asks for direct (not proxied) SSH or Jupyter connections."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, hide_input_in_errors=True
    )

    name: str = Field(min_length=1)
    image: str
    tag: str | None = None
    env: dict[str, str] = Field(default_factory=dict, repr=False)
    ports: tuple[str, ...] = ()
    onstart: str | None = Field(default=None, max_length=MAX_ONSTART_LENGTH, repr=False)
    runtype: TemplateRuntype = "args"
    direct: bool = False
    jupyter_lab: bool = False
    jupyter_dir: str | None = None
    args: str | None = None
    """Arguments for the image's entrypoint (``args_str``), with runtype ``args``."""
    disk_gb: float | None = Field(default=None, gt=0)
    search: Query | None = None
    search_defaults: bool = True
    readme: str | None = Field(default=None, repr=False)
    readme_visible: bool = True
    desc: str | None = None
    href: str | None = None
    repo: str | None = None
    private: bool = True
    docker_login_repo: str | None = None
    docker_login_user: str | None = None
    docker_login_pass: SecretStr | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value):
            raise ValueError("a Docker image reference such as 'vastai/base-image'")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        render_docker_options(value)  # a bad name or an unwritable value is a ValueError
        return value

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(port_mapping(port) for port in value)

    @field_validator("search", mode="before")
    @classmethod
    def _search(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_query(value)
        if isinstance(value, Query) and value.vocabulary is not GPU_OFFERS:
            raise ValueError(f"a template searches GPU offers, not {value.vocabulary.name}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TemplateRequest:
        if self.args is not None and self.runtype != "args":
            raise ValueError(f"args needs runtype 'args', not {self.runtype!r}")
        if self.docker_login_pass is not None and not self.docker_login_user:
            raise ValueError("docker_login_pass needs docker_login_user")
        return self

    def extra_filters(self) -> dict[str, dict[str, Any]]:
        """The offer filters the template stores, in API units."""
        if self.search is None:
            return {}
        filters: dict[str, dict[str, Any]] = {}
        if self.search_defaults:
            cleared = self.search.cleared
            filters.update(
                {k: dict(v) for k, v in TEMPLATE_SEARCH_DEFAULTS.items() if k not in cleared}
            )
        filters.update(self.search.filters)
        return filters

    def secret_values(self) -> list[str]:
        """Values of the body an error answer must not repeat: env values, the password."""
        values = list(self.env.values())
        if self.docker_login_pass is not None:
            values.append(self.docker_login_pass.get_secret_value())
        return values

    def to_payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "tag": self.tag,
            "href": self.href,
            "repo": self.repo,
            "env": render_docker_options(self.env, self.ports),
            "onstart": self.onstart,
            "jup_direct": self.runtype == "jupyter" and self.direct,
            "ssh_direct": self.runtype == "ssh" and self.direct,
            "use_jupyter_lab": self.jupyter_lab,
            "runtype": self.runtype,
            "use_ssh": self.runtype in ("ssh", "jupyter"),
            "jupyter_dir": self.jupyter_dir,
            "docker_login_repo": self.docker_login_repo,
            "extra_filters": self.extra_filters(),
            "recommended_disk_space": self.disk_gb,
            "readme": self.readme,
            "readme_visible": self.readme_visible,
            "desc": self.desc,
            "private": self.private,
        }
        if self.docker_login_user:
            body["docker_login_user"] = self.docker_login_user
        if self.docker_login_pass is not None:
            body["docker_login_pass"] = self.docker_login_pass.get_secret_value()
        if self.args is not None:
            body["args_str"] = self.args
        return body


class TemplatesClient(SubClient):
    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self._lock = threading.Lock()
        self._owner: int | None = None
        """The account's user id, read once: the key, and so the account, never changes."""

    def search(
        self, filters: Mapping[str, Mapping[str, Any]] | None = None
    ) -> builtins.list[Template]:
        """Templates (the account's and public ones) matching ``filters``, API JSON over
        template columns: ``{"name": {"eq": "trainer"}}``, ``{"creator_id": {"eq": 7}}``."""
        query = {"select_cols": ["*"], "select_filters": dict(filters or {})}
        data = self._transport.request("GET", _ROUTE, query=query)
        rows = data.get("templates") if isinstance(data, dict) else None
        if not isinstance(rows, builtins.list):
            raise self._unexpected("GET", _ROUTE, "a body without a 'templates' list")
        return [self._parse(Template, row, "GET", _ROUTE) for row in rows]

    def list(self) -> builtins.list[Template]:
        """The account's own templates."""
        return self.search({"creator_id": {"eq": self._owner_id()}})

    def get(self, hash_id: str) -> Template | None:
        """The template with ``hash_id``, the account's own first (hashes are of content,
        so another account's template can share one); None when there is none."""
        found = self.search({"hash_id": {"eq": hash_id}})
        if len(found) > 1:
            owner = self._owner_id()
            found.sort(key=lambda template: template.creator_id != owner)
        return found[0] if found else None

    def create(self, request: TemplateRequest) -> Template:
        """Create a template; the answer carries its ``id``, ``hash_id`` and ``name``.

        Not repeated once it may have reached Vast (`ResponseLost`): look for it by name
        (`list`) before creating again.
        """
        data = self._transport.request(
            "POST",
            _ROUTE,
            json=request.to_payload(),
            idempotent=False,
            secrets=request.secret_values(),
        )
        return self._answered_template(data, "POST", _ROUTE)

    def update(self, template_id: int, hash_id: str, request: TemplateRequest) -> Template:
        """Replace the content of the template (``template_id`` and its current
        ``hash_id``); the answer carries the new ``hash_id``."""
        body = {"id": template_id, "hash_id": hash_id, **request.to_payload()}
        data = self._transport.request(
            "PUT", _UPDATE_ROUTE, json=body, secrets=request.secret_values()
        )
        return self._answered_template(data, "PUT", _UPDATE_ROUTE)

    def delete(self, template_id: int) -> bool:
        """Remove the template from the account; False when it was already gone."""
        try:
            self._transport.request("DELETE", _ROUTE, json={"template_id": template_id})
        except NotFound:
            return False
        return True

    def _answered_template(self, data: Any, method: str, route: str) -> Template:
        row = data.get("template") if isinstance(data, dict) else None
        if not isinstance(row, dict):
            raise self._unexpected(method, route, "a body without a 'template'")
        return self._parse(Template, row, method, route)

    def _owner_id(self) -> int:
        with self._lock:
            if self._owner is None:
                self._owner = UsersClient(self._transport).current().id
            return self._owner
