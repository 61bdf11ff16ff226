"""A network volume: disk space on a physical cluster's network storage."""

from __future__ import annotations

from pulumi_vast.resources._volumes import VolumeProviderBase, VolumeResource

__all__ = ["NetworkVolume", "NetworkVolumeProvider"]


class NetworkVolumeProvider(VolumeProviderBase):
    kind = "network volume"
    volume_kind = "network"


class NetworkVolume(VolumeResource, module="vast", name="NetworkVolume"):
    """Disk space on a physical cluster's network storage, which any machine of the cluster
    can mount; rented from network volume offers, with the inputs of a `Volume`.

    ## Example Usage

    ```python
    import pulumi_vast as vast

    shared = vast.NetworkVolume("shared", query="disk_space>=500", size_gb=500)
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="123")``, run
    ``pulumi up`` once, then drop the option.
    """

    provider_class = NetworkVolumeProvider
    config_key = "networkVolumes"
    config_example = """
pulumi-vast:networkVolumes:
  - name: shared
    query: disk_space>=500
    size_gb: 500
"""
    kind = "network"
