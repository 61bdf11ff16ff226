"""Order offers the way the user asked, deterministically."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from pulumi_vast.api.filters import sort_rows
from pulumi_vast.api.units import gib

__all__ = ["describe_offer", "rank"]

# After the user's order: the more reliable machine, then the lower id, so that two runs over
# the same market always pick the same offer.
_TIE_BREAKERS: tuple[tuple[str, str], ...] = (("reliability", "desc"), ("id", "asc"))


OfferT = TypeVar("OfferT")


def rank(offers: Iterable[OfferT], order: Sequence[Sequence[str]]) -> list[OfferT]:
    """Offers (mappings, or models that read like them) best first by ``order``."""
    keys = [tuple(o) for o in order]
    keys += [t for t in _TIE_BREAKERS if t[0] not in {k[0] for k in keys}]
    return cast(list[OfferT], sort_rows(cast(Iterable[Mapping[str, Any]], offers), keys))


def describe_offer(offer: Mapping[str, Any]) -> str:
    """One line a person can judge an offer by."""
    gpus = int(offer.get("num_gpus") or 0)
    vram_gib = gib(float(offer.get("gpu_ram") or 0))
    parts = [f"{gpus}x {offer.get('gpu_name')} {vram_gib:.0f} GB"]
    if offer.get("dph_total") is not None:
        parts.append(f"${float(offer['dph_total']):.3f}/h")
    if offer.get("reliability") is not None:
        parts.append(f"reliability {float(offer['reliability']):.3f}")
    if offer.get("cuda_max_good") is not None:
        parts.append(f"CUDA {offer['cuda_max_good']}")
    if offer.get("geolocation"):
        parts.append(str(offer["geolocation"]))
    return f"{', '.join(parts)} (offer {offer.get('id')})"
