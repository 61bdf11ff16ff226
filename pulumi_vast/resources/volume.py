"""A local volume: disk space on one machine, rented apart from any instance."""

from __future__ import annotations

from pulumi_vast.resources._volumes import VolumeArgs, VolumeProviderBase, VolumeResource

__all__ = ["Volume", "VolumeArgs", "VolumeProvider"]


class VolumeProvider(VolumeProviderBase):
    kind = "volume"
    volume_kind = "local"


class Volume(VolumeResource, module="vast", name="Volume"):
    """Disk space on one machine, rented from volume offers, mounted by instances on it.

    `pulumi destroy` keeps it (it still bills, and says so) unless ``on_destroy="delete"``.

    ## Example Usage

    ```python
    import pulumi_vast as vast

    data = vast.Volume("data", query="disk_space>=100 reliability>0.98", size_gb=100)
    gpu = vast.Instance(
        "trainer",
        query="gpu_ram>=24",
        image="pytorch/pytorch",
        volumes=[vast.VolumeMount(volume=data, path="/data")],
    )
    ```

    ## Import

    Declare it with its inputs and ``opts=pulumi.ResourceOptions(import_="123")``, run
    ``pulumi up`` once, then drop the option.
    """

    provider_class = VolumeProvider
    config_key = "volumes"
    config_example = """
pulumi-vast:volumes:
  - name: data
    query: disk_space>=100 reliability>0.98
    size_gb: 100
    on_destroy: keep        # or delete
pulumi-vast:instances:
  - name: gpu
    query: num_gpus>=1
    image: pytorch/pytorch
    volumes: [{volume: data, path: /data}]
"""
    kind = "local"
