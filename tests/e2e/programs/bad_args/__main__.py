"""A program that gets its arguments wrong, one way per config `case`."""

import pulumi

import pulumi_vast as vast

QUERY = "gpu_ram>=24 num_gpus=1"
IMAGE = "pytorch/pytorch"
SECRET = "hf_SUPERSECRET_0042"

case = pulumi.Config().require("case")
if case == "argument":  # known to the program: refused as it declares the instance
    vast.Instance("gpu", query=5, image=IMAGE)  # type: ignore[arg-type]
elif case == "output":  # only an Output to the program: refused by the provider's check
    vast.Instance("gpu", query=QUERY, image=IMAGE, env=pulumi.Output.secret({"1BAD": SECRET}))
