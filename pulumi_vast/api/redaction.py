"""Taking known secret values out of text before it leaves the process.

A `Redactor` knows a set of secrets (the API key, the env values of a create request, a
private key) and replaces each with `REDACTED` in a message, or in every string of a
decoded body. A secret is also found as JSON writes it (a private key's newlines as
``\\n``). Values shorter than `MIN_SECRET_LENGTH` are left alone: replacing ``1`` or
``ok`` everywhere would wreck a message and hide nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "Redactor"]

REDACTED = "<redacted>"
MIN_SECRET_LENGTH = 3


class Redactor:
    """Replaces known secret values with `REDACTED`; an empty one changes nothing."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = tuple(s for s in secrets if s is not None and len(s) >= MIN_SECRET_LENGTH)
        forms = {form for s in self._secrets for form in (s, json.dumps(s)[1:-1])}
        # Longest first: a secret that contains another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def adding(self, secrets: Iterable[str | None]) -> Redactor:
        """A redactor that also knows ``secrets``."""
        return Redactor([*self._secrets, *secrets])

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def tree(self, value: Any) -> Any:
        """A decoded JSON value with every string redacted."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.tree(v) for v in value]
        return value
