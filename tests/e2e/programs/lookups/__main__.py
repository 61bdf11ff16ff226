"""Reads an instance and an SSH key made outside Pulumi (`get`), and the market
(`get_offers`), whose best offer it rents as the docs show it."""

import pulumi

import pulumi_vast as vast

config = pulumi.Config()
seen = vast.Instance.get("seen", config.require("instanceId"))
key = vast.SshKey.get("their-key", config.require("keyId"))
offers = vast.get_offers(config.require("query"), limit=3, hours=10)
picked = vast.Instance(
    "picked",
    offer_id=offers[0].offer_id,
    image="ubuntu:22.04",
    opts=pulumi.ResourceOptions(ignore_changes=["offer_id"]),
)
pulumi.export("seen_gpu", seen.gpu_name)
pulumi.export("seen_label", seen.label)
pulumi.export("seen_image", seen.image)
pulumi.export("key_fingerprint", key.fingerprint)
pulumi.export("offer_ids", [offer.offer_id for offer in offers])
pulumi.export("best_cost", offers[0].estimated_cost)
pulumi.export("picked", picked.instance_id)
pulumi.export("picked_offer", picked.offer_id)
