"""Instances: rented containers. Create from an offer, watch, stop/start, label, destroy."""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.errors import APIError, Gone, InstanceCreatedWithError, NotFound
from pulumi_vast.api.ssh_keys import SshKey
from pulumi_vast.api.units import gib

__all__ = [
    "DEFAULT_VOLUME_SIZE_GB",
    "ENV_NAME",
    "FAILED_STATUSES",
    "FAILURE_MESSAGES",
    "MAX_BID_PRICE",
    "MAX_LABEL_LENGTH",
    "MAX_ONSTART_LENGTH",
    "MIN_BID_PRICE",
    "OVERLAY_NAME",
    "PENDING_STATUSES",
    "CreateInstanceRequest",
    "Instance",
    "InstancesClient",
    "PortBinding",
    "Runtype",
    "SshEndpoint",
    "VolumeAttachment",
    "port_mapping",
]

# --------------------------------------------------------------------------- Vast facts

PENDING_STATUSES: frozenset[str | None] = frozenset(
    {None, "created", "loading", "restarting", "rebooting"}
)
"""``actual_status`` values of an instance on its way up (loading is not billed)."""
FAILED_STATUSES = frozenset({"exited", "unknown", "offline", "frozen"})
"""``actual_status`` values from which an instance meant to run never reaches running."""
FAILURE_MESSAGES = ("OCI runtime create failed",)
"""``status_msg`` fragments that mean the container will not start."""
RUNNING = "running"
STOPPED = "stopped"

MIN_BID_PRICE = 0.001
MAX_BID_PRICE = 128.0
"""Bounds of an interruptible bid, $/hour per machine (openapi)."""
MAX_ONSTART_LENGTH = 4048
"""The API truncates longer onstart scripts; gzip+base64 a long script instead."""
MAX_LABEL_LENGTH = 1024
LIST_PAGE_SIZE = 25
"""The most instances `GET /api/v1/instances/` returns a page."""
JUPYTER_SSH_PORT_OFFSET = 1
"""On jupyter runtypes the proxy's SSH port is ``ssh_port + 1`` (as the official ssh-url)."""
SSH_CONTAINER_PORT = "22/tcp"
DEFAULT_VOLUME_SIZE_GB = 15
"""The size the official client rents a volume with when none is given."""

Runtype = Literal[
    "ssh", "jupyter", "args", "ssh_proxy", "ssh_direct", "jupyter_proxy", "jupyter_direct"
]
InstanceState = Literal["running", "stopped"]

_ROUTE = "/api/v0/instances/{id}/"
_LIST_ROUTE = "/api/v1/instances/"
_CREATE_ROUTE = "/api/v0/asks/{id}/"
_ATTACH_ROUTE = "/api/v0/instances/{id}/ssh/"
_DETACH_ROUTE = "/api/v0/instances/{id}/ssh/{key_id}/"
_BID_ROUTE = "/api/v0/instances/bid_price/{id}/"
_LIST_ORDER = [{"col": "id", "dir": "asc"}]

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
"""An environment variable name as Docker takes it in ``-e NAME=value``."""
_DOCKER_FLAG = re.compile(r"^-[pnvh] \S+$")
_PORT = re.compile(r"^(\d{1,5})(?::(\d{1,5}))?(?:/(tcp|udp))?$")
OVERLAY_NAME = re.compile(r"^[a-z0-9-]{1,64}\Z")
"""An overlay network's name as the official client passes ``-n NAME`` through (it drops
any other; the simulator caps the length at 64)."""


def port_mapping(spec: str) -> str:
    """``"8080"`` -> ``"8080:8080"``, ``"8080:80"``, ``"53/udp"`` -> ``"53:53/udp"``: the
    ``-p`` mapping of a port to expose; ValueError (with the fix) if ``spec`` is not one."""
    match = _PORT.match(str(spec).strip())
    if match is None or not all(1 <= int(p) <= 65535 for p in match.groups()[:2] if p):
        raise ValueError(
            f"{spec!r} is not a port: use a number from 1 to 65535, or text such as "
            "'8080:80' (host:container) or '53/udp'"
        )
    host, container, proto = match.groups()
    text = f"{host}:{container or host}"
    return f"{text}/{proto}" if proto else text


# --------------------------------------------------------------------------- models


class PortBinding(VastModel):
    host_ip: str | None = Field(default=None, alias="HostIp")
    host_port: int | None = Field(default=None, alias="HostPort")


@dataclass(frozen=True)
class SshEndpoint:
    """Where to reach an instance's sshd: the Vast gateway (proxy) or the host (direct)."""

    host: str
    port: int
    kind: Literal["proxy", "direct"]

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class Instance(VastModel):
    """An instance as ``GET /api/v0/instances/{id}/`` and the v1 listing return it."""

    id: int
    actual_status: str | None = None
    intended_status: str | None = None
    cur_state: str | None = None
    next_state: str | None = None
    status_msg: str | None = None
    label: str | None = None
    image_uuid: str | None = None
    image_runtype: str | None = None
    image_args: list[str] | None = None
    template_hash_id: str | None = None
    onstart: str | None = Field(default=None, repr=False)
    extra_env: dict[str, str] = Field(default_factory=dict, repr=False)
    gpu_name: str | None = None
    num_gpus: int | None = None
    gpu_ram: float | None = None
    cpu_cores_effective: float | None = None
    cpu_ram: float | None = None
    disk_space: float | None = None
    dph_total: float | None = None
    storage_total_cost: float | None = None
    """$/hour its disk bills, running or stopped."""
    dph_base: float | None = None
    storage_cost: float | None = None
    is_bid: bool | None = None
    min_bid: float | None = None
    machine_id: int | None = None
    host_id: int | None = None
    bundle_id: int | None = None
    cluster_id: int | None = None
    reliability: float | None = Field(
        default=None, validation_alias=AliasChoices("reliability", "reliability2")
    )
    geolocation: str | None = None
    public_ipaddr: str | None = None
    local_ipaddrs: str | None = None
    ssh_host: str | None = None
    ssh_port: int | None = None
    ports: dict[str, list[PortBinding]] = Field(default_factory=dict)
    jupyter_token: str | None = Field(default=None, repr=False)
    start_date: float | None = None
    end_date: float | None = None
    uptime_mins: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _strip_strings(cls, data: Any) -> Any:
        # The service pads some strings ("10.2.202.31 172.17.0.1 \n"); the official client
        # strips every one.
        if isinstance(data, Mapping):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data

    @field_validator("extra_env", mode="before")
    @classmethod
    def _env_pairs(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, list):
            return {
                str(pair[0]): str(pair[1])
                for pair in value
                if isinstance(pair, list | tuple) and len(pair) >= 2
            }
        return value

    @field_validator("ports", mode="before")
    @classmethod
    def _port_map(cls, value: Any) -> Any:
        # Only a running instance carries the Docker port map; otherwise null (or, per one
        # openapi schema, a bare list of container ports, which maps nothing).
        return value if isinstance(value, Mapping) else {}

    @property
    def gpu_ram_gib(self) -> float | None:
        """Memory per GPU in GiB (``gpu_ram`` is MiB), as `Offer.gpu_ram_gib`."""
        return gib(self.gpu_ram)

    @property
    def status(self) -> str | None:
        return self.actual_status

    @property
    def is_running(self) -> bool:
        return self.actual_status == RUNNING

    @property
    def is_pending(self) -> bool:
        """On its way up: created, loading, (re)starting, or no status yet."""
        return self.actual_status in PENDING_STATUSES and not self.is_failed

    @property
    def is_failed(self) -> bool:
        """It will not reach running without intervention: destroy it and try elsewhere.

        A failed-looking status of an instance meant to be stopped is just stopped.
        """
        message = self.status_msg or ""
        if any(marker in message for marker in FAILURE_MESSAGES):
            return True
        return self.actual_status in FAILED_STATUSES and self.intended_status != STOPPED

    @property
    def is_stopped(self) -> bool:
        return self.intended_status == STOPPED or self.actual_status == STOPPED

    @property
    def looks_outbid(self) -> bool:
        """An interruptible instance that Vast stopped: every state field says stopped."""
        return bool(self.is_bid) and (
            self.cur_state == self.intended_status == self.next_state == STOPPED
        )

    def mapped_port(self, container_port: int | str, protocol: str = "tcp") -> int | None:
        """The host port Docker mapped ``container_port`` to, if the instance is running."""
        key = str(container_port) if "/" in str(container_port) else f"{container_port}/{protocol}"
        for binding in self.ports.get(key, []):
            if binding.host_port:
                return binding.host_port
        return None

    def ssh_endpoints(self) -> list[SshEndpoint]:
        """Ways to reach sshd, the Vast gateway first (the direct path can time out)."""
        endpoints: list[SshEndpoint] = []
        if self.ssh_host and self.ssh_port:
            jupyter = "jupyter" in (self.image_runtype or "")
            port = self.ssh_port + (JUPYTER_SSH_PORT_OFFSET if jupyter else 0)
            endpoints.append(SshEndpoint(self.ssh_host, port, "proxy"))
        direct = self.mapped_port(SSH_CONTAINER_PORT)
        if self.public_ipaddr and direct:
            endpoints.append(SshEndpoint(self.public_ipaddr, direct, "direct"))
        return endpoints


class VolumeAttachment(BaseModel):
    """A volume to create or link at instance creation (``volume_info``), as ``vastai create
    instance --create-volume OFFER_ID | --link-volume VOLUME_ID --mount-path PATH`` sends it.

    ``create_new`` rents a new volume from the volume offer ``volume_id`` (of ``size`` GB,
    default 15 as the official client, named ``name``); otherwise ``volume_id`` is an
    existing volume of the account, and ``size``/``name`` do not apply. ``mount_path`` must
    be absolute and not ``/`` (the official client also takes a relative path, whose base
    in the container nothing defines).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    volume_id: int = Field(description="an existing volume's id, or a volume offer's id")
    mount_path: str = Field(pattern=r"^/([^/\x00]+/?)+$")
    create_new: bool = False
    size: int | None = Field(default=None, gt=0, description="GB, for a new volume")
    name: str | None = None

    @classmethod
    def new(
        cls, offer_id: int, mount_path: str, *, size: int | None = None, name: str | None = None
    ) -> VolumeAttachment:
        """Rent a new volume from the volume offer ``offer_id`` and mount it."""
        return cls(volume_id=offer_id, mount_path=mount_path, create_new=True, size=size, name=name)

    @classmethod
    def link(cls, volume_id: int, mount_path: str) -> VolumeAttachment:
        """Mount the account's volume ``volume_id``."""
        return cls(volume_id=volume_id, mount_path=mount_path)

    @model_validator(mode="after")
    def _new_only(self) -> VolumeAttachment:
        if not self.create_new and (self.size is not None or self.name is not None):
            raise ValueError(
                "size and name are for a new volume (create_new); a linked volume keeps its own"
            )
        return self

    def to_payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "mount_path": self.mount_path,
            "create_new": self.create_new,
            "volume_id": self.volume_id,
        }
        if self.name:
            body["name"] = self.name
        if self.create_new:
            body["size"] = self.size or DEFAULT_VOLUME_SIZE_GB
        return body


class CreateInstanceRequest(BaseModel):
    """What to run on a rented offer; ``to_payload()`` is the ``PUT /api/v0/asks/{id}/`` body.

    The body has the keys the official client's ``build_create_instance_payload`` sends.
    ``env`` is the official dict form: plain variables (``{"KEY": "v"}``) and Docker flags as
    keys with value ``"1"`` (``{"-p 8080:8080": "1"}``); ``ports`` and ``network`` add such
    flags for you (``"8080"`` maps 8080:8080, ``network`` joins an overlay with ``-n``).
    ``price`` makes it an interruptible bid ($/hour); None rents on demand.
    """

    # A refusal must not quote the input: env values and the registry login are secrets.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    image: str | None = None
    template_hash_id: str | None = None
    disk: float = Field(default=10.0, gt=0, description="disk size in GB, fixed at creation")
    env: dict[str, str] = Field(default_factory=dict, repr=False)
    ports: tuple[str, ...] = ()
    network: str | None = None
    label: str | None = Field(default=None, max_length=MAX_LABEL_LENGTH)
    onstart: str | None = Field(default=None, max_length=MAX_ONSTART_LENGTH, repr=False)
    runtype: Runtype | None = None
    args: tuple[str, ...] | None = None
    price: float | None = Field(default=None, ge=MIN_BID_PRICE, le=MAX_BID_PRICE)
    cancel_unavail: bool = False
    target_state: InstanceState | None = None
    image_login: SecretStr | None = None
    python_utf8: bool = False
    lang_utf8: bool = False
    use_jupyter_lab: bool = False
    jupyter_dir: str | None = None
    force: bool = False
    user: str | None = None
    extra: str | None = None
    volume: VolumeAttachment | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(c.isspace() for c in value)):
            raise ValueError("a Docker image reference such as 'pytorch/pytorch:latest'")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not (ENV_NAME.match(key) or _DOCKER_FLAG.match(key)):
                raise ValueError(
                    f"{key!r} is not a variable name (letters, digits, _) nor a Docker flag "
                    "such as '-p 8080:8080'"
                )
        return value

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(port_mapping(port) for port in value)

    @field_validator("network")
    @classmethod
    def _network(cls, value: str | None) -> str | None:
        if value is not None and not OVERLAY_NAME.match(value):
            raise ValueError("an overlay network name: lower-case letters, digits and -")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CreateInstanceRequest:
        if not self.image and not self.template_hash_id:
            raise ValueError(
                "image is required (a Docker image such as 'pytorch/pytorch:latest') unless "
                "template_hash_id names a template that provides it"
            )
        if self.args is not None and self.runtype not in (None, "args"):
            raise ValueError(f"args needs runtype 'args' (or none), not {self.runtype!r}")
        return self

    @property
    def is_bid(self) -> bool:
        return self.price is not None

    def secret_values(self) -> list[str]:
        """Values of the body an error answer must not repeat: env values, the registry
        login."""
        values = list(self.env.values())
        if self.image_login is not None:
            values.append(self.image_login.get_secret_value())
        return values

    def to_payload(self) -> dict[str, Any]:
        env = dict(self.env)
        env.update({f"-p {port}": "1" for port in self.ports})
        if self.network:
            env[f"-n {self.network}"] = "1"
        body: dict[str, Any] = {
            "client_id": "me",
            "image": self.image,
            "env": env,
            "price": self.price,
            "disk": self.disk,
            "label": self.label,
            "extra": self.extra,
            "onstart": self.onstart,
            "image_login": self.image_login.get_secret_value() if self.image_login else None,
            "python_utf8": self.python_utf8,
            "lang_utf8": self.lang_utf8,
            "use_jupyter_lab": self.use_jupyter_lab,
            "jupyter_dir": self.jupyter_dir,
            "force": self.force,
            "cancel_unavail": self.cancel_unavail,
            "template_hash_id": self.template_hash_id,
            "user": self.user,
        }
        runtype = "args" if self.args is not None else self.runtype
        if runtype:
            body["runtype"] = runtype
        if self.args is not None:
            body["args"] = list(self.args)
        if self.volume is not None:
            body["volume_info"] = self.volume.to_payload()
        if self.target_state is not None:
            body["target_state"] = self.target_state
        return body


# --------------------------------------------------------------------------- calls


class InstancesClient(SubClient):
    def create(self, offer_id: int, request: CreateInstanceRequest) -> int:
        """Rent ``offer_id``; returns the new instance id (``new_contract``).

        Not idempotent and never retried once it may have reached Vast: a lost answer
        raises `ResponseLost`, after which the instance may exist; find it by its label.
        An error answer that still names an instance raises `InstanceCreatedWithError`.
        """
        path = _CREATE_ROUTE.format(id=offer_id)
        try:
            data = self._transport.request(
                "PUT",
                _CREATE_ROUTE,
                path_params={"id": offer_id},
                json=request.to_payload(),
                idempotent=False,
                secrets=request.secret_values(),
            )
        except APIError as exc:
            stranded = _contract_id(exc.body)
            if stranded is None:
                raise
            raise InstanceCreatedWithError(
                f"{exc} (yet instance {stranded} was created: destroy it before retrying)",
                instance_id=stranded,
                method=exc.method,
                path=exc.path,
                status=exc.status,
                error=exc.error,
                msg=exc.msg,
                body=exc.body,
            ) from exc
        contract = _contract_id(data)
        if contract is None:
            raise self._unexpected("PUT", path, "a body without 'new_contract'")
        return contract

    def get(self, instance_id: int) -> Instance | None:
        """The instance, or None when it does not exist (any more) for this account."""
        try:
            data = self._transport.request(
                "GET", _ROUTE, path_params={"id": instance_id}, query={"owner": "me"}
            )
        except (NotFound, Gone):
            return None
        row = data.get("instances") if isinstance(data, dict) else None
        if isinstance(row, list):
            row = row[0] if row else None
        # Right after a destroy the service answers {"instances": null} or {}: gone.
        if not row:
            return None
        return self._parse(Instance, row, "GET", _ROUTE.format(id=instance_id))

    def list(
        self, *, select_filters: Mapping[str, Any] | None = None, label: str | None = None
    ) -> builtins.list[Instance]:
        """Every instance of the account (all pages), optionally filtered server-side.

        ``select_filters`` uses the search operators on stored columns (``actual_status``,
        ``label``, ``gpu_name``...); ``label`` is a shortcut for ``{"label": {"eq": label}}``.
        """
        filters = dict(select_filters or {})
        if label is not None:
            filters["label"] = {"eq": label}
        params: dict[str, Any] = {
            "select_filters": filters,
            "order_by": _LIST_ORDER,
            "limit": LIST_PAGE_SIZE,
        }
        instances: builtins.list[Instance] = []
        seen_tokens: set[str] = set()
        while True:
            data = self._transport.request("GET", _LIST_ROUTE, query=params)
            if not isinstance(data, dict):
                raise self._unexpected("GET", _LIST_ROUTE, "a body that is not an object")
            for row in data.get("instances") or []:
                instances.append(self._parse(Instance, row, "GET", _LIST_ROUTE))
            token = data.get("next_token")
            if not token:
                return instances
            if token in seen_tokens:
                raise self._unexpected("GET", _LIST_ROUTE, f"the page token {token!r} twice")
            seen_tokens.add(token)
            params = {**params, "after_token": token}

    def set_state(self, instance_id: int, state: InstanceState) -> None:
        """Ask for ``running`` or ``stopped`` (a stopped instance still bills storage)."""
        if state not in (RUNNING, STOPPED):
            raise ValueError(f"state must be 'running' or 'stopped', not {state!r}")
        self._manage(instance_id, {"state": state})

    def set_label(self, instance_id: int, label: str) -> None:
        if len(label) > MAX_LABEL_LENGTH:
            raise ValueError(f"label is {len(label)} characters; at most {MAX_LABEL_LENGTH}")
        self._manage(instance_id, {"label": label})

    def destroy(self, instance_id: int) -> bool:
        """Destroy for good; False when it was already gone."""
        try:
            self._transport.request("DELETE", _ROUTE, path_params={"id": instance_id}, json={})
        except (NotFound, Gone):
            return False
        return True

    def attach_ssh_key(self, instance_id: int, public_key: str) -> None:
        """Authorize ``public_key`` on the instance (survives Vast's key refreshes)."""
        self._transport.request(
            "POST",
            _ATTACH_ROUTE,
            path_params={"id": instance_id},
            json={"ssh_key": public_key},
            idempotent=True,
        )

    def ssh_keys(self, instance_id: int) -> builtins.list[SshKey]:
        """The keys that may log in to the instance: the account's and those attached."""
        data = self._transport.request("GET", _ATTACH_ROUTE, path_params={"id": instance_id})
        rows: Any = data.get("ssh_keys") if isinstance(data, dict) else None
        if isinstance(rows, str):  # openapi: "JSON string containing array of SSH key objects"
            try:
                rows = json.loads(rows)
            except ValueError:
                rows = None
        if not isinstance(rows, builtins.list):
            raise self._unexpected("GET", _ATTACH_ROUTE, "a body without a list of keys")
        return [self._parse(SshKey, row, "GET", _ATTACH_ROUTE) for row in rows]

    def detach_ssh_key(self, instance_id: int, ssh_key_id: int) -> bool:
        """Remove an account key from the instance; False when it was not attached."""
        try:
            self._transport.request(
                "DELETE", _DETACH_ROUTE, path_params={"id": instance_id, "key_id": ssh_key_id}
            )
        except NotFound:
            return False
        return True

    def change_bid(self, instance_id: int, price: float) -> None:
        """Set an interruptible instance's bid, $/hour."""
        if not MIN_BID_PRICE <= price <= MAX_BID_PRICE:
            raise ValueError(f"price must be between {MIN_BID_PRICE} and {MAX_BID_PRICE} $/hour")
        self._transport.request(
            "PUT",
            _BID_ROUTE,
            path_params={"id": instance_id},
            json={"client_id": "me", "price": price},
        )

    def _manage(self, instance_id: int, body: dict[str, Any]) -> None:
        self._transport.request("PUT", _ROUTE, path_params={"id": instance_id}, json=body)


def _contract_id(body: Any) -> int | None:
    value = body.get("new_contract") if isinstance(body, Mapping) else None
    try:
        return int(value) if value not in (None, "", 0) else None
    except (TypeError, ValueError):
        return None
