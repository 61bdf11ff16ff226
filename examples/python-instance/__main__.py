"""A GPU instance declared in Python: cheapest 24 GB GPU, ready when SSH runs nvidia-smi.

How to run it: README.md in this folder.
"""

from pathlib import Path

import pulumi

import pulumi_vast as vast
from pulumi_vast.stack import generate_key_pair

config = pulumi.Config()
key_file = Path(config.get("keyFile") or ".state/id_ed25519").resolve()
if not key_file.exists():
    generate_key_pair(key_file.with_suffix(".pub"))

key = vast.SshKey("me", public_key=key_file.with_suffix(".pub").read_text())

query = vast.Query.where(
    vast.F.gpu_ram >= 24,
    vast.F.num_gpus == 1,
    vast.F.reliability > 0.95,
    vast.F.dph <= 1.0,
)
gpu = vast.Instance(
    "trainer",
    vast.InstanceArgs(
        query=query,
        order="dph+",
        image="pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
        disk_gb=32,
        env={"HF_HOME": "/workspace/hf"},
        ready=vast.ReadyArgs(ssh=True, probe="nvidia-smi -L", timeout=600),
    ),
    pulumi.ResourceOptions(depends_on=[key]),
)

pulumi.export("instance_id", gpu.instance_id)
pulumi.export("gpu", pulumi.Output.concat(gpu.num_gpus.apply(str), "x ", gpu.gpu_name))
pulumi.export("dollars_per_hour", gpu.dph_total)
pulumi.export("ssh", gpu.ssh_command)
pulumi.export("chosen_because", gpu.selection)
