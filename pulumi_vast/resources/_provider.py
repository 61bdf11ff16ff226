"""The CRUD plumbing every Vast resource shares; subclasses say what their object is.

Contract (Pulumi's dynamic provider): `check` validates and normalizes inputs and names
each bad field; `diff` compares declared fields only (never `__provider`) and answers
`changes=False` explicitly; a failed `create` leaves nothing behind; `read` returns an empty
id when the object is gone; `delete` treats "already gone" as success.

The base keeps that contract once, for every resource. A subclass says what its object is
in four hooks: `_create(args, props) -> (id, outputs)`, `_read(id, props) -> outputs | None`
(None: gone), `_update(id, olds, args, changed) -> outputs` and `_delete(id, props)`. The
base parses the inputs into the args model, gives `_update` only the changes that reach
Vast (a `STATE` field is stored, never sent), drops a gone object from the state with a
warning, derives read's inputs from the field table, makes sure every result carries every
output the resource class declares (a missing one is a bug, not a silent None), and turns
any error Vast answers into `RefusedByVast`, naming the input it is about.

Secrets are the base's job, for every resource: a subclass returns plain values, and the
base marks secret, in every result of `check`, `create`, `read` and `update` (inputs and
outputs), each field declared `SECRET` and each property the call received as a secret;
no error raised by an engine call quotes a secret value. This is not left to the engine:
under the SDK's plugin host (and ours, which serves the same servicer) the engine strips
secret markers before each call and re-marks a result's properties only by name, after
that call's inputs; under a host that accepts secrets it re-marks nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

from pulumi_vast._operation import current_urn
from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.api import Redactor, VastError
from pulumi_vast.resources import _connection
from pulumi_vast.resources import _progress as progress
from pulumi_vast.resources._errors import RefusedByVast, ResourceError, blame
from pulumi_vast.resources._fields import FieldTable, plain_strings, secret_names
from pulumi_vast.resources._importing import (
    IMPORT_INPUT,
    ImportFromProgram,
    declaration,
    import_mark,
    refusal,
)
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.resources._policy import Policy
from pulumi_vast.resources._problems import Failure
from pulumi_vast.resources._settings import InvalidSettings, ProviderSettings

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["Failure", "ImportFromProgram", "SecretInError", "VastProvider", "check_failure"]


def check_failure(failure: Failure) -> CheckFailure:
    """A failure as the engine should print it: the path in the reason, and no `property`.

    Beside a failure's property the engine prints that input's value, secret or not
    (`issueCheckFailures` in its step generator), and for a nested path such as
    ``ssh_keys[0]`` it prints ``{<nil>}``; so the path goes into the reason instead.
    """
    path, reason = failure
    return CheckFailure("", f"{path}: {reason}" if path else reason)


Method = TypeVar("Method", bound=Callable[..., Any])
_GUARDED = ("check", "diff", "create", "read", "update", "delete")
"""The calls of the engine. Each takes, last, the properties its result derives from:
check(olds, news), diff(id, olds, news), create(props), read(id, props),
update(id, olds, news), delete(id, props)."""


class SecretInError(Exception):
    """A provider error whose message quoted a secret, re-raised with it redacted."""


def _keeping_secrets(method: Method) -> Method:
    """``method`` of a `VastProvider`, its result marked secret and its errors redacted."""

    @functools.wraps(method)
    def guarded(self: VastProvider, *args: Any) -> Any:
        try:
            result = method(self, *args)
        except CreatedButFailed as exc:
            # What still exists goes into the state like any result: secrets marked.
            exc.outputs = self.table.with_secrets(exc.outputs, arrived=secret_names(args[-1]))
            exc.args = (self._redactor([a for a in args if isinstance(a, Mapping)])(str(exc)),)
            raise
        except Exception as exc:
            redact = self._redactor([a for a in args if isinstance(a, Mapping)])
            message = str(exc)
            if redact(message) == message:
                raise
            raise SecretInError(redact(message)) from None
        return self._marked(result, secret_names(args[-1]))

    return cast(Method, guarded)


def _guard_engine_calls(cls: type) -> None:
    for name in _GUARDED:
        if name in vars(cls):  # its own: inherited ones are guarded where they are defined
            setattr(cls, name, _keeping_secrets(vars(cls)[name]))


class VastProvider(ResourceProvider):
    table: ClassVar[FieldTable]
    kind: ClassVar[str] = "object"
    """What the object is called in messages ("instance", "SSH key")."""
    output_names: ClassVar[frozenset[str]] = frozenset()
    """The outputs its resource class declares (set by `VastResource`): every result of
    create, read and update carries them all."""
    changed_in_place: ClassVar[frozenset[str]] = frozenset()
    """Outputs an update in place may change besides its inputs (unknown in its preview);
    every other output stays as it is."""
    class_name: ClassVar[str] = ""
    """The name of its resource class (set by `VastResource`), as a program writes it."""
    api_fields: ClassVar[Mapping[str, str]] = {}
    """Vast's request field names -> the inputs they come from, to name the input an error
    is about."""
    delete_before_replace: ClassVar[bool] = False
    """True where two copies at once would cost money twice or collide."""

    # The pickled provider holds no secrets (configuration arrives through `configure`), so
    # the engine need not encrypt the blob in state.
    serialize_as_secret_always = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _guard_engine_calls(cls)

    def configure(self, req: ConfigureRequest) -> None:
        # A bad setting is reported by every check (naming it) and raised by any other call.
        self._settings: ProviderSettings | InvalidSettings
        try:
            self._settings = ProviderSettings.from_config(req.config)
            self._settings.require_api_key()
        except InvalidSettings as exc:
            self._settings = exc

    @property
    def settings(self) -> ProviderSettings:
        settings = getattr(self, "_settings", None)
        if settings is None:
            settings = ProviderSettings.from_config(None)
        if isinstance(settings, InvalidSettings):
            raise settings
        return settings

    def policy(self, args: Any) -> Policy:
        """The policy that governs a resource with these inputs (its args model, or the
        properties in its state): its own `policy`, each unset field taken from the stack's
        (`vast:policy`)."""
        own = args.get("policy") if isinstance(args, Mapping) else getattr(args, "policy", None)
        if isinstance(own, Mapping):  # from the state: checked when it was stored
            own = Policy.model_validate(own)
        own = own if isinstance(own, Policy) else Policy()
        return own.over(self.settings.policy)

    @property
    def connection(self) -> _connection.Connection:
        return _connection.connection_for(self.settings)

    @property
    def client(self) -> VastClient:
        return self.connection.client

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        mark = news.get(IMPORT_INPUT)
        if isinstance(mark, Mapping):  # only `pulumi import` checks what a read reported
            name = current_urn().rpartition("::")[2] or "NAME"
            rows, secret = list(self.table.rows), self.table.secret_fields
            code = declaration(self.class_name, name, mark, order=rows, secret=secret)
            raise ImportFromProgram(refusal(self.class_name, mark, code))
        outcome = self.table.check(news)
        failures = list(outcome.failures)
        settings = getattr(self, "_settings", None)
        if isinstance(settings, InvalidSettings):
            failures += settings.failures
        elif not failures and outcome.args is not None:
            previous = self._previous_args(olds)
            failures += self.validate(outcome.args, previous, news)
        inputs = dict(outcome.inputs)
        if OWNER_INPUT in news:  # hidden: the tag a create gives what it rents
            inputs[OWNER_INPUT] = news[OWNER_INPUT]
        return CheckResult(inputs, [check_failure(failure) for failure in failures])

    def validate(self, args: Any, previous: Any | None, news: Mapping[str, Any]) -> list[Failure]:
        """Checks beyond the inputs model: against the previous inputs (None for a new
        object) or the live market. It has no side effect: asked twice, it answers the same."""
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = self.table.changed_fields(olds, news)
        replaces = [name for name in changed if self.replaces_on_change(name, olds, news)]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=self.delete_before_replace,
        )

    def restated(self, news: Mapping[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
        """The outputs after an update of what steers pulumi-vast only (``news``): those
        derived from such inputs restated, every other as it was."""
        return outs

    def resumable(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether the object is to be started again though no input changed (a preempted
        instance under `on_lost: resume`): `_update` then gets the change ``resume``."""
        return False

    def replaces_on_change(
        self, field: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> bool:
        return field in self.table.replace_fields

    # ---- create, read, update, delete: the contract, once -------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self.table.parse(props)
        with self.refusals("create"):
            id_, outs = self._create(args, props)
        return CreateResult(id_, self._complete({**props, **outs}, "create"))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # A first read (an import, or a `get`) has none of the object's outputs yet.
        first = not any(props.get(name) is not None for name in self.output_names)
        with self.refusals("read", id_):
            found = self._read(id_, props)
        if found is None and first:
            raise ResourceError(
                f"there is no {self.kind} {id_} in the account: check the id, and the "
                "account (vast:apiKey, or the resource's Account)"
            )
        if found is None:
            progress.warn(f"{self.kind} {id_} no longer exists: it is removed from the state")
            return ReadResult(id_="", outs={})
        outs = self._complete({**props, **found}, "read")
        inputs = self._inputs_of(outs)
        if first:
            # Should the engine check these inputs as the new ones, it is `pulumi import`,
            # which `check` refuses with this.
            declared = {**self.import_hints(outs), **self._non_default(inputs)}
            secret = self.table.secret_fields
            inputs[IMPORT_INPUT] = import_mark(id_, declared, secret=secret)
        return ReadResult(id_=id_, outs=outs, inputs=inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = self.table.parse(news)
        live = frozenset(self.table.changed_fields(olds, news)) - self.table.state_fields
        if self.resumable(id_, olds, news):
            live |= {"resume"}
        if not live:  # only what steers pulumi-vast changed: stored, nothing sent
            # An output that was None is not in the state at all (the engine drops nulls).
            kept = {name: olds.get(name) for name in self.output_names}
            return UpdateResult(self._complete(self.restated(news, {**news, **kept}), "update"))
        with self.refusals("update", id_):
            outs = self._update(id_, olds, args, live)
        return UpdateResult(self._complete({**news, **outs}, "update"))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with self.refusals("delete", id_):
            self._delete(id_, props)

    def preview_key(self, news: Mapping[str, Any], args: Any) -> str | None:
        """Which resource a preview of a create is for, if its check recorded what the
        create will give (`OfferBook.expect`) under that key."""
        return None

    def preview_create(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """What a create will give, without making it (a preview): the inputs, what its
        check expects of the offer it picked (the GPU, the price...), and every other output
        unknown; secrets marked as on every result."""
        args = self.table.check(props).args
        key = self.preview_key(props, args) if args is not None else None
        expected = (self.connection.offers.expected(key) if key is not None else None) or {}
        outs: dict[str, Any] = {**props}
        for name in self.output_names:
            if props.get(name) is None:
                outs[name] = expected.get(name, Unknown())  # type: ignore[no-untyped-call]
        return self.table.with_secrets(outs, arrived=secret_names(props))

    def preview_update(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What an update in place will leave, without making it (a preview): the new
        inputs, the outputs it does not touch as they are, the others unknown. Without it
        the engine takes the inputs for the outputs, and everything a program derives from
        an output of a resource being updated shows as unknown."""
        outs: dict[str, Any] = self.restated(news, {**olds, **news})
        changed = frozenset(self.table.changed_fields(olds, news))
        outs.update({name: Unknown() for name in self.changes_in_place(changed)})  # type: ignore[no-untyped-call]
        return self.table.with_secrets(outs, arrived=secret_names(news) | secret_names(olds))

    def changes_in_place(self, changed: frozenset[str]) -> frozenset[str]:
        """The outputs besides its inputs that an update of the inputs ``changed`` may
        change (`changed_in_place`, or fewer when the provider can tell)."""
        return self.changed_in_place

    def _create(self, args: Any, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        """Make the object; its id and outputs. A failure must leave nothing behind."""
        raise NotImplementedError

    def _read(self, id_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The object's outputs as Vast has it now; None when it is gone."""
        raise NotImplementedError

    def _update(
        self, id_: str, olds: Mapping[str, Any], args: Any, changed: frozenset[str]
    ) -> Mapping[str, Any]:
        """Apply ``changed`` (inputs that reach Vast) to the live object; its outputs."""
        raise NotImplementedError(f"{self.kind} has no input that changes in place")

    def _delete(self, id_: str, props: Mapping[str, Any]) -> None:
        """Delete the object; already gone is success."""
        raise NotImplementedError

    def _inputs_of(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs a read reports: the declared inputs among the outputs."""
        return {name: outs[name] for name in self.table.rows if name in outs}

    def import_hints(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        """Inputs a program must give that a read cannot tell (the query an instance was
        rented by): what `pulumi import` suggests writing, from what was read."""
        return {}

    def _non_default(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        rows = self.table.rows
        return {
            name: value
            for name, value in inputs.items()
            if value is not None and name in rows and value != rows[name].default
        }

    def _complete(self, outs: dict[str, Any], action: str) -> dict[str, Any]:
        missing = self.output_names - outs.keys()
        if missing:
            raise AssertionError(
                f"{type(self).__name__}.{action} left out the outputs {sorted(missing)}"
            )
        return outs

    @contextmanager
    def refusals(
        self, action: str, id_: str | int | None = None, *, field: str | None = None
    ) -> Iterator[None]:
        """Vast's errors in the block, as `RefusedByVast` naming the object and the input
        (``field``, else the one Vast's answer mentions)."""
        try:
            yield
        except VastError as exc:
            what = self.kind if id_ is None else f"{self.kind} {id_}"
            blamed = field or blame(exc, self.api_fields)
            raise RefusedByVast.of(exc, action=action, what=what, field=blamed) from exc

    def _marked(self, result: Any, arrived: frozenset[str]) -> Any:
        def mark(values: Mapping[str, Any] | None) -> Any:
            return None if values is None else self.table.with_secrets(values, arrived=arrived)

        if isinstance(result, CheckResult):
            result.inputs = mark(result.inputs)
        elif isinstance(result, CreateResult | UpdateResult):
            result.outs = mark(result.outs)
        elif isinstance(result, ReadResult):
            result.outs = mark(result.outs)
            result.inputs = mark(result.inputs)
        return result

    def _redactor(self, requests: Iterable[Mapping[str, Any]]) -> Redactor:
        """Knows the secrets a call may have seen: the secret values of its properties and
        the provider's own credentials."""
        settings = getattr(self, "_settings", None)  # as configured, even if unusable
        credentials = (
            (settings.api_key, settings.ssh_private_key)
            if isinstance(settings, ProviderSettings)
            else ()
        )
        secrets = [c.get_secret_value() for c in credentials if c is not None]
        for props in requests:
            for name in self.table.secret_fields | secret_names(props):
                secrets += plain_strings(props.get(name))
        return Redactor(secrets)

    def _previous_args(self, olds: Mapping[str, Any]) -> Any | None:
        if not any(name in olds for name in self.table.rows):
            return None
        try:
            return self.table.parse(olds)
        except ValueError:
            return None


_guard_engine_calls(VastProvider)  # its own `check`, and any engine call it comes to define
