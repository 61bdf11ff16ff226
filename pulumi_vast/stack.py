"""The project's own Pulumi program: resources built from stack config.

`stacks/Pulumi.<stack>.yaml` declares, under the project's namespace, a list of entries per
kind of resource, each a `name` (the resource's) and its inputs (snake_case, as in the
Python API); entries refer to each other by name:

    pulumi-vast:sshKeys:            # account SSH keys
      - name: dev
        publicKeyFile: .state/ssh/id_ed25519.pub
        generate: true              # make the key pair if the file is missing
    pulumi-vast:envVars:            # account env vars (values: pulumi config set --secret --path)
      - name: HF_TOKEN
        value: ...
    pulumi-vast:templates:
      - name: trainer
        image: pytorch/pytorch
    pulumi-vast:volumes:            # also pulumi-vast:networkVolumes
      - name: data
        query: disk_space>=100
        size_gb: 100
    pulumi-vast:instances:
      - name: gpu
        query: gpu_ram>=24 reliability>0.95
        template: trainer           # a name from templates, or a hash id
        volumes: [{volume: data, path: /data}]
        ssh_keys: [dev]             # names from sshKeys, or public key lines
    pulumi-vast:endpoints:          # serverless endpoints, their knobs
      - name: llm
        max_workers: 4
    pulumi-vast:workerGroups:       # their workers: a template on the offers a query matches
      - name: llm-workers
        endpoint: llm               # a name from endpoints, or an endpoint id
        template: trainer
        query: gpu_ram>=24
    pulumi-vast:deployments:        # or all three at once, as Vast's Deployment SDK says it
      - name: qwen
        image: vllm/vllm-openai:v0.6.3
        require: gpu_ram>=24
        autoscaling: {max_workers: 4}
    pulumi-vast:trainingClusters:   # N nodes on one physical cluster's overlay network
      - name: llm
        nodes: 2
        query: gpu_ram>=24
        image: pytorch/pytorch
        ssh_keys: [dev]

The keys, their entries and what a name may refer to come from the resource classes
(`config_key`, `config_entry`, `config_refs`) and the components (`COMPONENTS`): a new
resource is declared here by its own module. Bad config fails `pulumi preview` naming the
config path of every bad value and the fix, before anything is declared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pulumi_vast.components import COMPONENTS, Deployment
from pulumi_vast.resources import Instance, ServerlessEndpoint, TrainingGang
from pulumi_vast.resources._problems import (
    Failure,
    InvalidField,
    at,
    closest,
    describe,
    validation_failures,
)
from pulumi_vast.resources._resource import ConfigRef, VastResource, registered
from pulumi_vast.resources.ssh_key import SshKeyEntry, generate_key_pair

__all__ = [
    "NAMESPACE",
    "Entry",
    "SshKeyEntry",
    "StackSpec",
    "build",
    "generate_key_pair",
    "load_spec",
    "main",
    "sections",
]

NAMESPACE = "pulumi-vast"

Name = Annotated[str, Field(min_length=1)]
_SEGMENT = re.compile(r"^(\w+)(\[\])?$")


class Entry(BaseModel):
    """A name plus the resource's inputs."""

    model_config = ConfigDict(extra="allow", strict=True)

    name: Name = Field(description="a name for it (the resource's name), unique among its kind")

    def inputs(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def sections() -> list[type[VastResource]]:
    """The resources stack config may declare, each after those its entries may name."""
    pending = [r for r in registered().values() if r.config_key]
    ordered: list[type[VastResource]] = []
    while pending:
        keys = {r.config_key for r in ordered}
        ready = [
            r
            for r in pending
            if all(s in keys or s == r.config_key for ref in r.config_refs for s in ref.sections)
        ]
        if not ready:
            raise TypeError(f"stack config references go round in circles: {pending}")
        ordered += ready
        pending = [r for r in pending if r not in ready]
    return ordered


def _keys() -> list[str]:
    return [str(resource.config_key) for resource in sections()] + [
        component.config_key for component in COMPONENTS
    ]


class StackSpec(BaseModel):
    """The project namespace's entries, by config key, in the order they are built."""

    entries: dict[str, list[Any]]
    components: dict[str, list[tuple[str, Any]]] = {}
    """Each component's entries, by config key: (name, its validated args)."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> StackSpec:
        """Every key's entries, checked; all problems raise at once, naming their paths."""
        failures: list[Failure] = []
        entries: dict[str, list[Any]] = {}
        for resource in sections():
            key = str(resource.config_key)
            value = raw.get(key)
            if value is None:
                entries[key] = []
                continue
            if not isinstance(value, list):
                failures.append(
                    (key, f"expected a list of entries, each with a name; got {_kind(value)}")
                )
                continue
            model = resource.config_entry or Entry
            parsed: list[Any] = []
            for index, item in enumerate(value):
                try:
                    parsed.append(model.model_validate(item))
                except ValidationError as exc:
                    found = validation_failures(exc, model)
                    failures += [(at(f"{key}[{index}]", path), reason) for path, reason in found]
            failures += _duplicates(key, parsed)
            entries[key] = parsed
        components: dict[str, list[tuple[str, Any]]] = {}
        for component in COMPONENTS:
            key = component.config_key
            value = raw.get(key)
            if value is None:
                components[key] = []
            elif not isinstance(value, list):
                failures.append(
                    (key, f"expected a list of entries, each with a name; got {_kind(value)}")
                )
            else:
                found, components[key] = _component_entries(component, key, value)
                failures += found
        if failures:
            raise _invalid(failures)
        return cls(entries=entries, components=components)


def _component_entries(
    component: type[Deployment], key: str, value: list[Any]
) -> tuple[list[Failure], list[tuple[str, Any]]]:
    """(what is wrong, the entries as (name, args)) of a component's section."""
    failures: list[Failure] = []
    parsed: list[Entry] = []
    built: list[tuple[str, Any]] = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        try:
            entry = Entry.model_validate(item)
        except ValidationError as exc:
            failures += [(at(where, p), r) for p, r in validation_failures(exc, Entry)]
            continue
        parsed.append(entry)
        try:
            args = component.args_class.model_validate(entry.inputs())
        except ValidationError as exc:
            found = validation_failures(exc, component.args_class, hide_inputs={"env"})
            failures += [(at(where, p), r) for p, r in found]
            continue
        built.append((entry.name, args))
    return failures + _duplicates(key, parsed), built


def _duplicates(key: str, entries: Sequence[Any]) -> list[Failure]:
    seen: dict[str, int] = {}
    failures: list[Failure] = []
    for index, entry in enumerate(entries):
        if entry.name in seen:
            failures.append(
                (
                    f"{key}[{index}].name",
                    f"{entry.name!r} is already the name of {key}[{seen[entry.name]}]; "
                    "give each a unique name",
                )
            )
        seen.setdefault(entry.name, index)
    return failures


def load_spec(config: pulumi.Config) -> StackSpec:
    """The stack's `pulumi-vast:` config, checked; a mistake fails naming its path."""
    keys = _keys()
    unknown = [(key, _unknown(key, keys)) for key in _namespace_keys() if key not in keys]
    if unknown:
        raise _invalid(unknown)
    raw = {key: value for key in keys if (value := _value(config, key)) is not None}
    return StackSpec.parse(raw)


def build(spec: StackSpec) -> dict[tuple[str, str], Any]:
    """The resources ``spec`` declares; bad entries fail (all of them named) before any is.
    Returns them by (config key, name)."""
    failures: list[Failure] = []
    planned: list[tuple[type[VastResource], str, Any, list[tuple[str, str]]]] = []
    declared = {
        key: {entry.name: entry for entry in entries} for key, entries in spec.entries.items()
    }
    for resource in sections():
        key = str(resource.config_key)
        secret = resource.provider_class.table.secret_fields
        for index, entry in enumerate(spec.entries[key]):
            where = f"{key}[{index}]"
            try:
                fields = entry.inputs()
            except InvalidField as exc:
                failures.append((at(where, exc.field), str(exc)))
                continue
            if "name" in resource.args_class.model_fields:
                fields.setdefault("name", entry.name)
            problems: list[Failure] = []
            depends: list[tuple[str, str]] = []
            renumbered: dict[str, dict[int, int]] = {}
            for ref in resource.config_refs:
                fields, found, deps, moved = _resolve(ref, fields, declared)
                problems += found
                depends += deps
                renumbered.update(moved)
            try:
                args = resource.args_class.model_validate(_placeholders(fields))
            except ValidationError as exc:
                told = {path for path, _ in problems}
                for path, reason in validation_failures(
                    exc, resource.args_class, hide_inputs=secret
                ):
                    path = _original_index(path, renumbered)
                    if path not in told:
                        problems.append((path, reason))
            failures += [(at(where, path), reason) for path, reason in problems]
            if not problems:
                planned.append((resource, entry.name, fields, depends))
    if failures:
        raise _invalid(failures)

    built: dict[tuple[str, str], VastResource] = {}
    for resource, name, fields, depends in planned:
        args = resource.args_class(**_real(fields, built))
        waits = [built[dependency] for dependency in depends]
        built[(str(resource.config_key), name)] = resource(
            name, args, pulumi.ResourceOptions(depends_on=waits)
        )
    made: dict[tuple[str, str], Any] = dict(built)
    for component in COMPONENTS:
        for name, component_args in spec.components[component.config_key]:
            made[(component.config_key, name)] = component(name, component_args)
    return made


class _Named:
    """A reference by name to another entry, until that resource exists."""

    def __init__(self, section: str, name: str) -> None:
        self.section = section
        self.name = name


def _resolve(
    ref: ConfigRef, fields: dict[str, Any], declared: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], list[Failure], list[tuple[str, str]], dict[str, dict[int, int]]]:
    """``fields`` with the names ``ref`` may hold put in place (a `_Named` until the
    resource exists, or dropped for a dependency); the names it could not place; the
    dependencies; how the indices of a list that lost names map back to the entry's."""
    failures: list[Failure] = []
    depends: list[tuple[str, str]] = []
    renumbered: dict[str, dict[int, int]] = {}

    def place(value: Any, path: str) -> tuple[bool, Any]:
        """(keep it, what to keep) for one value at ``path``."""
        for section in ref.sections:
            if isinstance(value, str) and value in declared.get(section, {}):
                if ref.use == "depend":
                    depends.append((section, value))
                    return False, None
                return True, _Named(section, value)
        if ref.literal(value):
            return True, value
        # A word, or a number or boolean that is no literal: meant as a name, or mistaken.
        if (isinstance(value, str) and not any(c.isspace() for c in value)) or isinstance(
            value, int | float
        ):
            names = sorted({n for s in ref.sections for n in declared.get(s, {})})
            under = " or ".join(f"{NAMESPACE}:{s}" for s in ref.sections)
            listed = ", ".join(names) or "none declared"
            shown = repr(value) if isinstance(value, str) else describe(value)
            failures.append(
                (
                    path,
                    f"{shown} is neither a name declared under {under} ({listed})"
                    f"{closest(str(value), names)} nor {ref.what}",
                )
            )
            return True, value
        return True, value  # the args model says what it should be

    head, *rest = ref.path.split(".")
    match = _SEGMENT.match(head)
    assert match is not None, ref.path
    field, is_list = match.group(1), bool(match.group(2))
    value = fields.get(field)
    if value is None:
        return fields, failures, depends, renumbered
    if not is_list:
        keep, placed = place(value, field)
        return (
            {**fields, field: placed} if keep else _without(fields, field),
            failures,
            depends,
            renumbered,
        )
    if not isinstance(value, list):
        return fields, failures, depends, renumbered
    items: list[Any] = []
    kept_from: dict[int, int] = {}
    for index, item in enumerate(value):
        if rest and isinstance(item, dict) and rest[0] in item:
            keep, placed = place(item[rest[0]], f"{field}[{index}].{rest[0]}")
            item = {**item, rest[0]: placed}
        elif not rest:
            keep, item = place(item, f"{field}[{index}]")
        else:
            keep = True
        if keep:
            kept_from[len(items)] = index
            items.append(item)
    if len(items) != len(value):
        renumbered[field] = kept_from
    return {**fields, field: items}, failures, depends, renumbered


def _without(fields: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k != name}


def _placeholders(value: Any) -> Any:
    """What validation sees for a reference: an unresolved Output, checked once known."""
    if isinstance(value, _Named):
        return pulumi.Output.from_input(None).apply(lambda _: None)
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def _real(value: Any, built: Mapping[tuple[str, str], VastResource]) -> Any:
    """References replaced by the resources they name."""
    if isinstance(value, _Named):
        return built[(value.section, value.name)]
    if isinstance(value, dict):
        return {k: _real(v, built) for k, v in value.items()}
    if isinstance(value, list):
        return [_real(v, built) for v in value]
    return value


def _original_index(path: str, renumbered: Mapping[str, Mapping[int, int]]) -> str:
    for field, kept_from in renumbered.items():
        found = re.match(rf"^{field}\[(\d+)\](.*)$", path)
        if found:
            index = int(found.group(1))
            return f"{field}[{kept_from.get(index, index)}]{found.group(2)}"
    return path


def _kind(value: Any) -> str:
    return "a mapping" if isinstance(value, dict) else f"{type(value).__name__}"


def _namespace_keys() -> list[str]:
    """Every key of the project's namespace in the stack config."""
    prefix = f"{NAMESPACE}:"
    everything = {**get_config_env(), **CONFIG.get()}
    return sorted(key.removeprefix(prefix) for key in everything if key.startswith(prefix))


def _value(config: pulumi.Config, key: str) -> Any:
    try:
        return config.get_object(key)
    except ValueError:  # not JSON: a plain text value, which the spec refuses by name
        return config.get(key)


def _unknown(key: str, keys: Sequence[str]) -> str:
    full = [f"{NAMESPACE}:{name}" for name in keys]
    suggestion = closest(f"{NAMESPACE}:{key}", full).replace("'", "")
    return f"is not a setting of this program{suggestion or ';'} valid: {', '.join(full)}"


def _invalid(failures: list[Failure]) -> pulumi.RunError:
    lines = [f"{at(f'{NAMESPACE}:', path)}: {reason}" for path, reason in failures]
    return pulumi.RunError("invalid stack config:\n  " + "\n  ".join(lines))


def main() -> None:
    """Build the stack's config; export, by entry name, what a user needs of each instance,
    endpoint, deployment and training cluster."""
    spec = load_spec(pulumi.Config(NAMESPACE))
    for (_, name), made in build(spec).items():
        if isinstance(made, Instance):
            pulumi.export(
                name,
                {
                    "instance_id": made.instance_id,
                    "gpu": pulumi.Output.concat(made.num_gpus.apply(str), "x ", made.gpu_name),
                    "dph_total": made.dph_total.apply(lambda dph: round(dph, 4)),
                    "ssh": made.ssh_command,
                },
            )
        elif isinstance(made, ServerlessEndpoint | Deployment):
            pulumi.export(
                name,
                {
                    "endpoint_id": made.endpoint_id,
                    "route_url": made.route_url,
                    "worker_count": made.worker_count,
                },
            )
        elif isinstance(made, TrainingGang):
            pulumi.export(
                name,
                {
                    "master_addr": made.master_addr,
                    "master_port": made.master_port,
                    "world_size": made.world_size,
                    "members": made.members,
                    "torchrun": made.torchrun_commands,
                },
            )
