"""Adopts an instance made outside Pulumi (config `instanceId`), declared with `import_`."""

import pulumi

import pulumi_vast as vast

config = pulumi.Config()
instance_id = config.get("instanceId")
gpu = vast.Instance(
    "adopted",
    query=config.require("query"),
    image=config.require("image"),
    disk_gb=float(config.require("diskGb")),
    label=config.require("label"),
    opts=pulumi.ResourceOptions(import_=instance_id) if instance_id else None,
)
pulumi.export("instance_id", gpu.instance_id)
pulumi.export("gpu_name", gpu.gpu_name)
