"""The CRUD plumbing every Vast resource shares; subclasses say what their object is.

Contract (Pulumi's dynamic provider): `check` validates and normalizes inputs and names
each bad field; `diff` compares declared fields only (never `__provider`) and answers
`changes=False` explicitly; a failed `create` leaves nothing behind; `read` returns an empty
id when the object is gone; `delete` treats "already gone" as success.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ResourceProvider,
)

from pulumi_vast.resources import _connection
from pulumi_vast.resources._fields import FieldTable
from pulumi_vast.resources._owner import OWNER_INPUT
from pulumi_vast.resources._problems import Failure
from pulumi_vast.resources._settings import InvalidSettings, ProviderSettings

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["Failure", "VastProvider", "check_failure"]


def check_failure(failure: Failure) -> CheckFailure:
    """A failure as the engine should print it: the path in the reason, and no `property`.

    Beside a failure's property the engine prints that input's value, secret or not
    (`issueCheckFailures` in its step generator), and for a nested path such as
    ``ssh_keys[0]`` it prints ``{<nil>}``; so the path goes into the reason instead.
    """
    path, reason = failure
    return CheckFailure("", f"{path}: {reason}" if path else reason)


class VastProvider(ResourceProvider):
    table: ClassVar[FieldTable]
    delete_before_replace: ClassVar[bool] = False
    """True where two copies at once would cost money twice or collide."""

    # The pickled provider holds no secrets (configuration arrives through `configure`), so
    # the engine need not encrypt the blob in state.
    serialize_as_secret_always = False

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

    def _previous_args(self, olds: Mapping[str, Any]) -> Any | None:
        if not any(name in olds for name in self.table.rows):
            return None
        try:
            return self.table.parse(olds)
        except ValueError:
            return None
