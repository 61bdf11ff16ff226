"""Two Vast accounts in one program: the stack's (`vast:` config), and team B's."""

import pulumi

import pulumi_vast as vast

config = pulumi.Config()
team_b = vast.Account(
    "team-b", api_url=config.require("teamBUrl"), api_key=config.require_secret("teamBKey")
)
in_b = pulumi.ResourceOptions(provider=team_b)
query = "gpu_ram>=24 num_gpus=1"
ours = vast.Instance("ours", query=query, image="ubuntu:22.04")
theirs = vast.Instance("theirs", query=query, image="ubuntu:22.04", opts=in_b)
key = vast.SshKey("their-key", public_key=config.require("publicKey"), opts=in_b)
pulumi.export("ours", ours.instance_id)
pulumi.export("theirs", theirs.instance_id)
pulumi.export("their_key", key.key_id)
