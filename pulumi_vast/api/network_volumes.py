"""Network volumes: disk space on a physical cluster's network storage, which any machine
of that cluster can mount.

The official client (vastai 1.9.1) hides these commands as "not yet released", and
openapi does not describe them. What it shows:

- search: ``POST /api/v0/network_volumes/search/``, the same words and defaults as a
  volume search (`VOLUME_OFFERS`); offers add the ``nw_disk_*`` bandwidths.
- rent: ``PUT /api/v0/network_volumes/`` with the body of a volume rent.
- list: the volume listing with ``type=network_volume``.

Guessed, since the official client has no call for it: the answer to a rent (taken to be
a volume rent's, ``volume_name: "V.<id>"``) and the delete (taken to be the volume
delete, ``DELETE /api/v0/volumes/``, since both kinds share one listing and ids).
"""

from __future__ import annotations

from typing import ClassVar

from pulumi_vast.api.volumes import VolumesClient

__all__ = ["NetworkVolumesClient"]


class NetworkVolumesClient(VolumesClient):
    """The calls of `VolumesClient`, at the network volume routes."""

    _SEARCH_ROUTE: ClassVar[str] = "/api/v0/network_volumes/search/"
    _CREATE_ROUTE: ClassVar[str] = "/api/v0/network_volumes/"
    _LIST_TYPE: ClassVar[str] = "network_volume"
