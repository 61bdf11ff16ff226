"""The volume offer vocabulary: what ``vastai search volumes`` (and network volumes) take.

Fields are the official client's ``vol_offers_fields`` (`vastai/api/query.py`), plus
``external``, whose default filter ``external=false`` a query must be able to drop with
``external=any``. Multipliers are the official ``offers_mult`` (``duration`` in days); the
defaults are those of ``vastai search volumes``: ``verified=true external=false
disk_space>=1``, prices for 1 GB of storage, no offer ``type``. The official client
searches network volume offers with the same words and defaults.

Where we differ from the official client, and why:

- ``cuda_vers`` is an alias of ``cuda_max_good``, as in the GPU vocabulary and as the
  official client reads an *order* of volumes. Its volume *query* parser passes no
  aliases, so it sends a ``cuda_vers`` column, which the volume offers openapi describes
  (``VolumeOffer``) do not have.
- ``gpu_name``, listed in the official help text, is left out: it is not in the field set
  the official parser checks, and volume offers carry no GPU.
"""

from __future__ import annotations

from pulumi_vast.api.offer_fields import GPU_OFFERS
from pulumi_vast.api.vocabulary import FieldKind, OfferField, Vocabulary

__all__ = ["VOLUME_OFFERS"]

_LIKE_GPU_OFFERS = (
    "cluster_id", "cpu_arch", "cuda_max_good", "datacenter", "disk_bw", "driver_version",
    "duration", "external", "geolocation", "gpu_arch", "has_avx", "host_id", "inet_down",
    "inet_up", "machine_id", "pci_gen", "pcie_bw", "reliability", "static_ip",
    "storage_cost", "total_flops", "ubuntu_version", "verified",
)  # fmt: skip
"""Fields that mean on a volume offer what they mean on a GPU offer."""

_OWN = (
    OfferField("id", FieldKind.INT, "volume offer id"),
    OfferField("disk_space", FieldKind.FLOAT, "space for rent, GB"),
    OfferField("nw_disk_min_bw", FieldKind.FLOAT, "network disk bandwidth, lowest, MiB/s"),
    OfferField("nw_disk_avg_bw", FieldKind.FLOAT, "network disk bandwidth, average, MiB/s"),
    OfferField("nw_disk_max_bw", FieldKind.FLOAT, "network disk bandwidth, highest, MiB/s"),
)

VOLUME_OFFERS = Vocabulary.of(
    "volume offers",
    "VF",
    sorted(
        [*(GPU_OFFERS.fields[name] for name in _LIKE_GPU_OFFERS), *_OWN],
        key=lambda f: f.name,
    ),
    aliases={"cuda_vers": "cuda_max_good"},
    order_only={"score"},
    default_filters={
        "verified": {"eq": True},
        "external": {"eq": False},
        "disk_space": {"gte": 1},
    },
    default_storage_gb=1.0,
    offer_types=False,
)
"""The offers of ``POST /api/v0/volumes/search/`` and ``/api/v0/network_volumes/search/``."""
