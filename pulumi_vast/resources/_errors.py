"""What the resources raise, as one tree (the engine shows each one's message).

```
ResourceError                 a resource operation failed; ``field`` names the input to fix
├── RefusedByVast             Vast answered an operation with an error (translated once,
│                             by the provider base, from the API's `VastError`)
└── RentalFailed              renting failed and nothing is left billing
```

`CreatedButFailed` (`pulumi_vast._partial`) is apart: it is not a failure to report but an
object to record, and the plugin host treats it so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pulumi_vast.api import APIError, VastError

__all__ = ["RefusedByVast", "RentalFailed", "ResourceError", "blame"]


class ResourceError(Exception):
    """A resource operation failed. ``field`` is the input to look at, when one is to blame."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class RefusedByVast(ResourceError):
    """Vast refused an operation; the message names the object, the call and Vast's answer."""

    @classmethod
    def of(cls, error: VastError, *, action: str, what: str, field: str | None) -> RefusedByVast:
        return cls(f"Vast refused to {action} {what}: {error}", field=field)


class RentalFailed(ResourceError):
    """Renting failed and nothing is left billing (the message says what happened)."""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def blame(error: VastError, api_fields: Mapping[str, str]) -> str | None:
    """The input an API error is about: the first of Vast's field names (``api_fields``
    maps them to inputs) that its code or message mentions."""
    text = f"{error.error} {error.msg}" if isinstance(error, APIError) else str(error)
    for word in _WORD.findall(text):
        field = api_fields.get(word)
        if field is not None:
            return field
    return None
