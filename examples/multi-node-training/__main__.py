"""Multi-node training: 2 nodes x 1 GPU on one physical cluster, joined by an overlay.

`TrainingCluster` finds a cluster with 2 matching offers (cheapest total first), creates
an overlay network there and one instance per node on it, waits until every node runs
SSH, reads rank 0's overlay address (its eth0) and prints a torchrun line per node.
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

training = vast.TrainingCluster(
    "llm",
    vast.TrainingClusterArgs(
        nodes=config.get_int("nodes") or 2,
        query="gpu_ram>=24 reliability>0.9",
        gpus_per_node=1,
        image="pytorch/pytorch:2.4.1-cuda12.1-cudnn9-devel",
        disk_gb=32,
        master_port=29500,
        script="train.py --epochs 3",
        ready=vast.ReadyArgs(ssh=True, timeout=600),
    ),
    pulumi.ResourceOptions(depends_on=[key]),
)

pulumi.export("cluster_id", training.cluster_id)
pulumi.export("master_addr", training.master_addr)
pulumi.export("master_port", training.master_port)
pulumi.export("world_size", training.world_size)
pulumi.export("node_ranks", training.node_ranks)
pulumi.export("ssh", training.ssh_commands)
pulumi.export("torchrun", training.torchrun_commands)
pulumi.export("dollars_per_hour", training.dph_total)
