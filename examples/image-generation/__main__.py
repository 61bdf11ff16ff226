"""A Stable Diffusion web UI on one GPU: its port published, its Hugging Face token a secret.

How to run it: README.md in this folder.
"""

from pathlib import Path

import pulumi

import pulumi_vast as vast
from pulumi_vast.stack import generate_key_pair

config = pulumi.Config()
key_file = Path(".state/id_ed25519").resolve()
if not key_file.exists():
    generate_key_pair(key_file.with_suffix(".pub"))
key = vast.SshKey("me", public_key=key_file.with_suffix(".pub").read_text())

WEBUI_PORT = 7860
webui = vast.Template(
    "sd-webui",
    image="ghcr.io/ai-dock/stable-diffusion-webui-forge",
    tag="latest-cuda",
    env={
        "HF_TOKEN": config.require_secret("hfToken"),  # secret in the state, never in clear
        "WEBUI_ARGS": f"--listen --port {WEBUI_PORT} --api",
    },
    ports=[WEBUI_PORT],
    disk_gb=60,
)
gpu = vast.Instance(
    "sd",
    vast.InstanceArgs(
        query=vast.Query.where(vast.F.gpu_ram >= 16, vast.F.num_gpus == 1, vast.F.dph <= 1.0),
        template=webui,
        ready=vast.ReadyArgs(ssh=True, probe="nvidia-smi -L"),
    ),
    pulumi.ResourceOptions(depends_on=[key]),
)

pulumi.export("instance_id", gpu.instance_id)
pulumi.export("webui", gpu.port_map.apply(lambda ports: f"http://{ports[f'{WEBUI_PORT}/tcp']}"))
pulumi.export("ssh", gpu.ssh_command)
