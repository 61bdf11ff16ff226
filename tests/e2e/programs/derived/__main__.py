"""Two instances, the second labelled after the first's id (config `labelA` relabels the
first in place)."""

import pulumi

import pulumi_vast as vast

config = pulumi.Config()
query = "gpu_ram>=24 num_gpus=1"
a = vast.Instance("a", query=query, image="vastai/base-image", label=config.require("labelA"))
b = vast.Instance(
    "b",
    query=query,
    image="vastai/base-image",
    label=a.instance_id.apply(lambda instance_id: f"after-{instance_id}"),
)
pulumi.export("b_label", b.label)
