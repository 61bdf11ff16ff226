"""What the query language knows about one kind of offer: a `Vocabulary`.

A vocabulary is data: the fields a search may filter on (each with its kind, unit and
multiplier), the aliases, the columns that can only order results, the filters the
official client adds to every search, and how a search body is priced (the storage it
assumes, whether it takes an offer ``type``). The parser, the renderer, the builders and
the error messages read one; nothing about a kind of offer is written in code.

Instances: `pulumi_vast.api.offer_fields.GPU_OFFERS` (``POST /api/v0/bundles/``) and
`pulumi_vast.api.volume_offer_fields.VOLUME_OFFERS` (``POST /api/v0/volumes/search/``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = ["FieldKind", "OfferField", "Vocabulary", "version_number", "version_text"]


class FieldKind(StrEnum):
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STR = "str"
    VERSION = "version"
    """A dotted ``X.Y.Z`` version, sent as the integer ``XXXYYYZZZ`` (driver_version)."""


@dataclass(frozen=True)
class OfferField:
    name: str
    kind: FieldKind
    doc: str
    multiplier: float = 1.0
    """API units per user unit (1000 for GB -> MB)."""


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The query language's words for one kind of offer. Compared by identity."""

    name: str
    """What is searched, for messages: ``"GPU offers"``."""
    builder: str
    """The name of its field builder (``F``, ``VF``), for reprs and hints."""
    fields: Mapping[str, OfferField]
    aliases: Mapping[str, str]
    """Other spellings of a field: ``dph`` -> ``dph_total``."""
    order_only: frozenset[str]
    """Columns results can be ordered by but not filtered on (``score``)."""
    default_filters: Mapping[str, Mapping[str, Any]]
    """What the official client adds to every search unless told not to."""
    default_storage_gb: float
    """The ``allocated_storage`` a search prices offers for, unless told otherwise."""
    offer_types: bool
    """Whether a search body carries ``type`` (on-demand, bid, reserved)."""
    _order_names: frozenset[str] = field(init=False, repr=False)

    @classmethod
    def of(
        cls,
        name: str,
        builder: str,
        table: Iterable[OfferField],
        *,
        aliases: Mapping[str, str],
        order_only: Iterable[str],
        default_filters: Mapping[str, Mapping[str, Any]],
        default_storage_gb: float,
        offer_types: bool,
    ) -> Vocabulary:
        """A read-only vocabulary from a field table; inconsistent data is a ValueError."""
        return cls(
            name,
            builder,
            MappingProxyType({f.name: f for f in table}),
            MappingProxyType(dict(aliases)),
            frozenset(order_only),
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in default_filters.items()}),
            default_storage_gb,
            offer_types,
        )

    def __post_init__(self) -> None:
        problems = [
            f"alias {a!r} names no field" for a, t in self.aliases.items() if t not in self.fields
        ]
        problems += [
            f"default filter {f!r} is no field"
            for f in self.default_filters
            if f not in self.fields
        ]
        clashes = (set(self.aliases) | self.order_only) & set(self.fields)
        problems += [f"{n!r} is a field and an alias or order-only column" for n in clashes]
        if problems:
            raise ValueError(f"vocabulary of {self.name}: {'; '.join(problems)}")
        names = frozenset(self.fields) | frozenset(self.aliases) | self.order_only
        object.__setattr__(self, "_order_names", names)

    def field(self, name: str) -> OfferField | None:
        """The field a name (or alias) stands for, None when it is not a word of this one."""
        return self.fields.get(self.aliases.get(name, name))

    def order_column(self, name: str) -> str | None:
        """The column an order name (field, alias, or order-only column) sorts by."""
        if name not in self._order_names:
            return None
        return self.aliases.get(name, name)

    def names(self) -> list[str]:
        """Every name a query may use: fields, then aliases."""
        return [*self.fields, *self.aliases]

    def order_names(self) -> list[str]:
        """Every name an order may use: fields, aliases, then order-only columns."""
        return [*self.names(), *sorted(self.order_only)]

    def __repr__(self) -> str:
        return f"<vocabulary of {self.name}>"


_VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def version_number(text: str) -> int:
    """``"535.86.05"`` -> ``535086005``, as the official client sends driver versions."""
    match = _VERSION.match(text.strip())
    if match is None:
        raise ValueError(f"expected a version like 535.86.05, got {text!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major * 1_000_000 + minor * 1_000 + patch


def version_text(number: int) -> str:
    """The inverse of `version_number` for numbers it produces."""
    return f"{number // 1_000_000}.{number // 1_000 % 1_000}.{number % 1_000:02d}"
