"""Text inputs shared by resources: the name Vast shows for an object."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = ["MAX_NAME_LENGTH", "ShownName"]

MAX_NAME_LENGTH = 256
"""The longest template or volume name Vast keeps."""


def _shown_name(text: str) -> str:
    if not text.strip() or text != text.strip() or any(not c.isprintable() for c in text):
        raise ValueError(
            "is not a name Vast can show: one line of printable text, without spaces at either end"
        )
    return text


ShownName = Annotated[
    str, Field(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_shown_name)
]
"""A name Vast shows in its console and listings (a template's, a volume's)."""
