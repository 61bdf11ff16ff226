"""An offer search, the same for every kind of offer: a query in, typed offers out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pulumi_vast.api._base import SubClient, VastModel
from pulumi_vast.api.errors import QueryError
from pulumi_vast.api.query import OfferType, Query, build_search_body, parse_query
from pulumi_vast.api.vocabulary import Vocabulary

__all__ = ["OfferSearching", "SearchQuery"]

OfferT = TypeVar("OfferT", bound=VastModel)

SearchQuery = Query | str | Mapping[str, Any] | None
"""A `Query`, the CLI syntax, or API JSON filters in API units (sent as given)."""


class OfferSearching(SubClient):
    """A sub-client that searches offers of one vocabulary at one route."""

    def _search(
        self,
        route: str,
        model: type[OfferT],
        vocabulary: Vocabulary,
        query: SearchQuery,
        *,
        order: str | Sequence[Sequence[str]] | None,
        limit: int | None,
        storage_gb: float | None,
        defaults: bool,
        offer_type: OfferType | None = None,
    ) -> list[OfferT]:
        if isinstance(query, str):
            query = parse_query(query, vocabulary=vocabulary)
        options: dict[str, Any] = {
            "vocabulary": vocabulary,
            "defaults": defaults,
            "order": order,
            "limit": limit,
            "offer_type": offer_type,
            "storage_gb": storage_gb,
        }
        if query is None or isinstance(query, Query):
            query = query or Query(vocabulary=vocabulary)
            if query.vocabulary is not vocabulary:
                raise QueryError(
                    f"a query of {query.vocabulary.name} cannot search {vocabulary.name}: "
                    f"build it with {vocabulary.builder}, or parse it with vocabulary= that one"
                )
            body = build_search_body(query.filters, cleared=query.cleared, **options)
        else:
            body = build_search_body(query, **options)
        data = self._transport.request("POST", route, json=body, idempotent=True)
        rows = data.get("offers") if isinstance(data, dict) else None
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list):
            raise self._unexpected("POST", route, "a body without an 'offers' list")
        return [self._parse(model, row, "POST", route) for row in rows]
