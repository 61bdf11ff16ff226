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
from pulumi_vast.resources._settings import ProviderSettings

if TYPE_CHECKING:
    from pulumi_vast.api import VastClient

__all__ = ["Failure", "VastProvider"]

Failure = tuple[str, str]
"""(field path, reason with the fix)"""


class VastProvider(ResourceProvider):
    table: ClassVar[FieldTable]
    delete_before_replace: ClassVar[bool] = False
    """True where two copies at once would cost money twice or collide."""

    # The pickled provider holds no secrets (configuration arrives through `configure`), so
    # the engine need not encrypt the blob in state.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        self._settings = ProviderSettings.from_config(req.config)

    @property
    def settings(self) -> ProviderSettings:
        settings: ProviderSettings | None = getattr(self, "_settings", None)
        return settings if settings is not None else ProviderSettings.from_config(None)

    @property
    def connection(self) -> _connection.Connection:
        return _connection.connection_for(self.settings)

    @property
    def client(self) -> VastClient:
        return self.connection.client

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        outcome = self.table.check(news)
        failures = list(outcome.failures)
        if not failures and outcome.args is not None:
            previous = self._previous_args(olds)
            failures += self.validate(outcome.args, previous)
        inputs = dict(outcome.inputs)
        if OWNER_INPUT in news:  # hidden: the tag a create gives what it rents
            inputs[OWNER_INPUT] = news[OWNER_INPUT]
        return CheckResult(inputs, [CheckFailure(path, why) for path, why in failures])

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
