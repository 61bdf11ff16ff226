"""What every API object module shares: the model base and the sub-client base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pulumi_vast.api.errors import UnexpectedResponse

if TYPE_CHECKING:
    from pulumi_vast.api.transport import Transport

__all__ = ["SubClient", "VastModel"]

ModelT = TypeVar("ModelT", bound=BaseModel)

_SUCCESS = 200


class VastModel(BaseModel):
    """A Vast object as the API sends it: known fields typed, unknown ones kept as extras."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    def as_row(self) -> dict[str, Any]:
        """The object as a flat dict (typed fields and extras), e.g. to evaluate filters."""
        return self.model_dump()

    def get(self, name: str, default: Any = None) -> Any:
        """A field or extra by its API name, like ``dict.get`` (rows and models read alike)."""
        if name in type(self).model_fields:
            return getattr(self, name)
        return (self.model_extra or {}).get(name, default)

    def __getitem__(self, name: str) -> Any:
        missing = object()
        value = self.get(name, missing)
        if value is missing:
            raise KeyError(name)
        return value


class SubClient:
    """Calls for one API object, over the client's shared transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _parse(self, model: type[ModelT], data: Any, method: str, path: str) -> ModelT:
        """A response body as ``model``; a body that does not fit is `UnexpectedResponse`."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
            raise self._unexpected(
                method, path, f"a body that is not a valid {model.__name__} ({problems})"
            ) from None

    def _unexpected(self, method: str, path: str, what: str) -> UnexpectedResponse:
        return UnexpectedResponse(
            self._transport.redact(f"{method} {path} answered {what}"),
            method=method,
            path=path,
            status=_SUCCESS,
        )
