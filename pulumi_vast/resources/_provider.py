"""The CRUD plumbing every Vast resource shares; subclasses say what their object is.

Contract (Pulumi's dynamic provider): `check` validates and normalizes inputs and names
each bad field; `diff` compares declared fields only (never `__provider`) and answers
`changes=False` explicitly; a failed `create` leaves nothing behind; `read` returns an empty
id when the object is gone; `delete` treats "already gone" as success.

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
from collections.abc import Callable, Iterable, Mapping
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

from pulumi_vast._partial import CreatedButFailed
from pulumi_vast.api import Redactor
from pulumi_vast.resources import _connection
from pulumi_vast.resources._fields import FieldTable, plain_strings, secret_names
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.resources._problems import Failure
from pulumi_vast.resources._settings import InvalidSettings, ProviderSettings

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["Failure", "SecretInError", "VastProvider", "check_failure"]


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

    @property
    def connection(self) -> _connection.Connection:
        return _connection.connection_for(self.settings)

    @property
    def client(self) -> VastClient:
        return self.connection.client

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        outcome = self.table.check(news)
        failures = list(outcome.failures)
        settings = getattr(self, "_settings", None)
        if isinstance(settings, InvalidSettings):
            failures += settings.failures
        elif not failures and outcome.args is not None:
            previous = self._previous_args(olds)
            failures += self.validate(outcome.args, previous)
        inputs = dict(outcome.inputs)
        if OWNER_INPUT in news:  # hidden: the tag a create gives what it rents
            inputs[OWNER_INPUT] = news[OWNER_INPUT]
        return CheckResult(inputs, [check_failure(failure) for failure in failures])

    def validate(self, args: Any, previous: Any | None) -> list[Failure]:
        """Checks beyond the inputs model: against the previous inputs or the live market."""
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

    def replaces_on_change(
        self, field: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> bool:
        return field in self.table.replace_fields

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
