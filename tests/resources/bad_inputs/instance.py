"""Bad `Instance` inputs: in stack config, in a Python program, and as resolved Outputs."""

from __future__ import annotations

from typing import Any

import pulumi

import pulumi_vast as vast
from tests.resources.bad_inputs.rows import (
    DROP,
    IMAGE,
    QUERY,
    Bad,
    Files,
    Program,
    StackConfig,
    instance,
    instances,
)

__all__ = ["ROWS"]

SECRET = "hf_SUPERSECRET_0042"
S3_SECRET = "s3_SUPERSECRET_0042"
AT = "pulumi-vast:instances[0]"
CHECKED = "resource 'gpu' has a problem: "
"""How the engine introduces a provider's check failure on the resource `gpu`."""


def config(id_: str, setting: str, fix: str, secret: str | None = None, **fields: Any) -> Bad:
    """A stack-config row: instance `gpu` with ``fields`` changed; ``setting`` is relative
    to the entry (`disk_gb`), or absolute when it starts with `pulumi-vast:` or `resource`."""
    where = setting if setting.startswith(("pulumi-vast:", "resource ")) else f"{AT}.{setting}"
    return Bad(f"config-{id_}", instances(instance(**fields)), where, fix, secret)


def python(id_: str, setting: str, fix: str, run: Any, secret: str | None = None) -> Bad:
    return Bad(f"python-{id_}", Program(run), setting, fix, secret)


def gpu(**fields: Any) -> vast.Instance:
    """`Instance("gpu", ...)` with valid query and image unless ``fields`` say otherwise."""
    return vast.Instance("gpu", **{"query": QUERY, "image": IMAGE, **fields})


def known(value: Any) -> pulumi.Output[Any]:
    """A value the program only has as an Output (resolved by preview time)."""
    return pulumi.Output.from_input(value)


CONFIG_ROWS = [
    # query: empty rents anything; wrong types; unknown fields
    config("query-empty", "query", "gpu_ram>=24", query=""),
    config("query-blank", "query", "gpu_ram>=24", query="   "),
    config("query-no-conditions", "query", "gpu_ram>=24", query="gpu_name=any"),
    config("query-unknown-field", "query", "did you mean 'gpu_ram'", query="gpu_rma>=24"),
    config("query-number", "query", "gpu_ram>=24", query=5),
    config("query-list", "query", "gpu_ram>=24", query=["gpu_ram>=24"]),
    config("query-bad-value", "query", "gpu_ram", query="gpu_ram>=lots"),
    config("query-and-offer-missing", "query", "exactly one", query=DROP),
    config("query-and-offer-both", "query", "exactly one", offer_id=123),
    # offer_id
    config("offer-id-text", "offer_id", "whole number", query=DROP, offer_id="abc"),
    config("offer-id-zero", "offer_id", "at least 1", query=DROP, offer_id=0),
    config("offer-id-fraction", "offer_id", "whole number", query=DROP, offer_id=1.5),
    config("offer-id-bool", "offer_id", "whole number", query=DROP, offer_id=True),
    config("offer-id-quoted", "offer_id", "without quotes", query=DROP, offer_id="123"),
    # order: empty ranks nothing
    config("order-empty", "order", "dph+", order=""),
    config("order-unknown-field", "order", "Valid order fields", order="price+"),
    config("order-number", "order", "dph+", order=5),
    # image
    config("image-missing", "image", "pytorch/pytorch", image=DROP),
    config("image-empty", "image", "Docker image", image=""),
    config("image-space", "image", "Docker image", image="my image"),
    config("image-number", "image", "pytorch/pytorch", image=5),
    # disk_gb: no bool or text as a number
    config("disk-bool", "disk_gb", "a number", disk_gb=True),
    config("disk-quoted", "disk_gb", "without quotes", disk_gb="20"),
    config("disk-zero", "disk_gb", "greater than 0", disk_gb=0),
    config("disk-negative", "disk_gb", "greater than 0", disk_gb=-5),
    config("disk-list", "disk_gb", "a number", disk_gb=[20]),
    config("disk-nan", "disk_gb", "finite number", disk_gb=float("nan")),
    config("disk-larger-than-any-offer", "resource 'gpu'", "disk_gb", disk_gb=1_000_000),
    # env: keys are variable names (ports go through `ports`), values are text; secret
    config("env-docker-flag", "env", "ports", env={"-v /:/host": "1"}),
    config("env-bad-name-secret", "env", "letters, digits", SECRET, env={"1BAD": SECRET}),
    config("env-dash", "env", "letters, digits", env={"A-B": "x"}),
    config("env-equals", "env", "letters, digits", env={"A=B": "x"}),
    config("env-empty-name", "env", "letters, digits", env={"": "x"}),
    config("env-number-value", "env.PORT", "quote", env={"PORT": 8080}),
    config("env-bool-value", "env.DEBUG", "quote", env={"DEBUG": True}),
    config("env-mapping-value", "env.NESTED", "text", env={"NESTED": {"a": 1}}),
    config("env-list", "env", "NAME: value", env=["A=1"]),
    config("env-text", "env", "NAME: value", env="A=1"),
    # ports
    config("port-zero", "ports[0]", "1 to 65535", ports=[0]),
    config("port-too-big", "ports[0]", "1 to 65535", ports=[70000]),
    config("port-negative", "ports[0]", "1 to 65535", ports=[-1]),
    config("port-words", "ports[0]", "53/udp", ports=["http"]),
    config("port-bool", "ports[0]", "1 to 65535", ports=[True]),
    config("port-fraction", "ports[0]", "1 to 65535", ports=[8080.5]),
    config("port-mapped-zero", "ports[0]", "1 to 65535", ports=["8080:0"]),
    config("port-protocol", "ports[0]", "53/udp", ports=["80/sctp"]),
    config("ports-not-a-list", "ports", "a list", ports=8080),
    # onstart
    config("onstart-number", "onstart", "text", onstart=5),
    config("onstart-too-long", "onstart", "4048", onstart="echo hi\n" * 700),
    # runtype, direct, running
    config("runtype-typo", "runtype", "'ssh'", runtype="sssh"),
    config("runtype-bool", "runtype", "'ssh'", runtype=True),
    config("direct-text", "direct", "true or false", direct="yes"),
    config("direct-number", "direct", "true or false", direct=1),
    config("running-text", "running", "true or false", running="no"),
    config("running-number", "running", "true or false", running=0),
    # label: Vast keeps 1024 characters of one line
    config("label-too-long", "label", "1024", label="x" * 10_000),
    config("label-newline", "label", "one line", label="a\nb"),
    config("label-control", "label", "one line", label="bell\x07"),
    config("label-number", "label", "text", label=5),
    # bid_price: Vast's bounds, no coercion
    config("bid-below-vast-minimum", "bid_price", "0.001", bid_price=0.0001),
    config("bid-zero", "bid_price", "0.001", bid_price=0),
    config("bid-above-vast-maximum", "bid_price", "128", bid_price=200),
    config("bid-quoted", "bid_price", "without quotes", bid_price="0.5"),
    config("bid-bool", "bid_price", "a number", bid_price=True),
    config(
        "bid-below-offer-minimum",
        f"{CHECKED}bid_price",
        "current minimum",
        bid_price=0.002,
    ),
    # ssh_keys: a list of names from sshKeys or public key lines
    config("ssh-keys-string", "ssh_keys", "a list", ssh_keys="me"),
    config("ssh-keys-unknown-name", "ssh_keys[0]", "pulumi-vast:sshKeys", ssh_keys=["laptop"]),
    config(
        "ssh-keys-private",
        "ssh_keys[0]",
        "public key",
        "{private_text}",
        ssh_keys=["{private_text}"],
    ),
    config("ssh-keys-number", "ssh_keys[0]", "ssh-ed25519", ssh_keys=[5]),
    config(
        "ssh-keys-damaged", "ssh_keys[0]", "copy the .pub line", ssh_keys=["ssh-ed25519 AAAA!!"]
    ),
    # ready
    config("ready-text", "ready", "ssh, probe, timeout", ready="yes"),
    config("ready-ssh-text", "ready.ssh", "true or false", ready={"ssh": "true"}),
    config("ready-timeout-zero", "ready.timeout", "greater than 0", ready={"timeout": 0}),
    config("ready-timeout-negative", "ready.timeout", "greater than 0", ready={"timeout": -5}),
    config("ready-timeout-words", "ready.timeout", "a number", ready={"timeout": "long"}),
    config("ready-timeout-bool", "ready.timeout", "a number", ready={"timeout": True}),
    config("ready-probe-empty", "ready.probe", "nvidia-smi", ready={"probe": ""}),
    config("ready-probe-number", "ready.probe", "text", ready={"probe": 5}),
    config("ready-unknown-key", "ready.sssh", "did you mean 'ssh'", ready={"sssh": True}),
    # policy
    config(
        "policy-ttl-leaves-no-room-for-onstart",
        f"{CHECKED}onstart",
        "the TTL's watchdog takes",
        policy={"max_hours": 1},
        onstart="echo hi\n" * 450,
    ),
    config("policy-budget-zero", "policy.max_budget", "greater than 0", policy={"max_budget": 0}),
    config("policy-on-lost", "policy.on_lost", "'replace' or 'resume'", policy={"on_lost": "x"}),
    config("policy-save-empty", "policy.save.paths", "at least 1", policy={"save": {"paths": []}}),
    config(
        "policy-save-nowhere",
        "resource 'gpu'",
        "policy.save: says what to save but not where: set local_dir (a folder) and/or s3",
        policy={"save": {"paths": ["/workspace/out"]}},
    ),
    config(
        "policy-save-no-ssh",
        "resource 'gpu'",
        "policy.save: runtype 'args' starts no SSH server to copy files over",
        runtype="args",
        policy={"save": {"paths": ["/workspace/out"], "local_dir": "saved"}},
    ),
    config(
        "policy-save-s3-bucket",
        "policy.save.s3.bucket",
        "is not an S3 bucket name",
        secret=S3_SECRET,
        policy={
            "save": {
                "paths": ["/workspace/out"],
                "s3": {"bucket": "x", "secret_access_key": S3_SECRET},
            }
        },
    ),
    config(
        "ready-ssh-with-args", "ready.ssh", "runtype 'ssh'", runtype="args", ready={"ssh": True}
    ),
    # unknown inputs
    config("unknown-input", "gpu", "valid settings: query, offer_id", gpu=4090),
    config("misspelt-input", "disk", "did you mean 'disk_gb'", disk=20),
    # the market, at preview
    config("query-matches-nothing", "resource 'gpu'", "loosen a condition", query="gpu_ram>=500"),
    config("offer-id-unknown", "resource 'gpu'", "loosen", query=DROP, offer_id=987654321),
]

ENTRY_ROWS = [
    Bad("config-name-missing", instances(instance(name=DROP)), f"{AT}.name", "a name"),
    Bad("config-name-empty", instances(instance(name="")), f"{AT}.name", "a name"),
    Bad("config-name-number", instances(instance(name=5)), f"{AT}.name", "text"),
    Bad(
        "config-name-duplicate",
        instances(instance(), instance()),
        "pulumi-vast:instances[1].name",
        "unique",
    ),
    Bad("config-entry-text", instances("gpu"), AT, "a mapping"),  # type: ignore[arg-type]
    Bad(
        "config-instances-mapping",
        StackConfig({"pulumi-vast:instances": {"gpu": instance()}}),
        "pulumi-vast:instances",
        "a list",
    ),
]

# The private key file a readiness check logs in with (`vast:sshPrivateKeyFile`).
SSH_READY = {"ready": {"ssh": True}}


def key_setting(id_: str, setting: str, fix: str, **settings: Any) -> Bad:
    config = {f"vast:{k}": v for k, v in settings.items()}
    given = StackConfig({**instances(instance(**SSH_READY)).config, **config})
    return Bad(f"config-{id_}", given, f"{CHECKED}{setting}", fix)


FILE = "vast:sshPrivateKeyFile"
KEY_ROWS = [
    key_setting("ssh-key-unset", "ready.ssh", f"pulumi config set {FILE}", sshPrivateKeyFile=DROP),
    key_setting("ssh-key-file-missing", FILE, "does not exist", sshPrivateKeyFile="{missing}"),
    key_setting("ssh-key-file-folder", FILE, "a folder", sshPrivateKeyFile="{folder}"),
    key_setting("ssh-key-file-public", FILE, "without .pub", sshPrivateKeyFile="{pub}"),
    key_setting("ssh-key-file-garbage", FILE, "private key", sshPrivateKeyFile="{garbage}"),
    key_setting(
        "ssh-key-text-public",
        "vast:sshPrivateKey",
        "private key",
        sshPrivateKeyFile=DROP,
        sshPrivateKey="{public_line}",
    ),
]


def _both_args_and_keywords(files: Files) -> None:
    vast.Instance("gpu", vast.InstanceArgs(query=QUERY, image=IMAGE), disk_gb=5)


def _args_as_dict(files: Files) -> None:
    vast.Instance("gpu", {"query": QUERY, "image": IMAGE})  # type: ignore[arg-type]


PYTHON_ROWS = [
    python("query-number", 'Instance("gpu").query', "gpu_ram>=24", lambda f: gpu(query=5)),
    python(
        "query-condition",
        'Instance("gpu").query',
        "Query",
        lambda f: gpu(query=vast.F.gpu_ram >= 24),
    ),
    python("no-query", 'Instance("gpu").query', "exactly one", lambda f: gpu(query=None)),
    python(
        "image-missing",
        'Instance("gpu").image',
        "pytorch/pytorch",
        lambda f: vast.Instance("gpu", query=QUERY),
    ),
    python("disk-bool", 'Instance("gpu").disk_gb', "a number", lambda f: gpu(disk_gb=True)),
    python("disk-text", 'Instance("gpu").disk_gb', "without quotes", lambda f: gpu(disk_gb="20")),
    python("order-empty", 'Instance("gpu").order', "dph+", lambda f: gpu(order="")),
    python(
        "unknown-keyword",
        'Instance("gpu").qurey',
        "did you mean 'query'",
        lambda f: gpu(qurey=QUERY),
    ),
    python(
        "name-empty",
        'Instance("")',
        "a name",
        lambda f: vast.Instance("", query=QUERY, image=IMAGE),
    ),
    python(
        "name-number", "Instance(5)", "text", lambda f: vast.Instance(5, query=QUERY, image=IMAGE)
    ),  # type: ignore[arg-type]
    python("args-and-keywords", 'Instance("gpu")', "not both", _both_args_and_keywords),
    python("args-dict", 'Instance("gpu")', "InstanceArgs", _args_as_dict),
    python(
        "args-object-bad",
        "InstanceArgs.query",
        "gpu_ram>=24",
        lambda f: vast.Instance("gpu", vast.InstanceArgs(query=5, image=IMAGE)),
    ),
    python(
        "ready-args-bad",
        "ReadyArgs.timeout",
        "greater than 0",
        lambda f: vast.ReadyArgs(timeout=-1),
    ),
    python(
        "ready-dict-bad",
        'Instance("gpu").ready.ssh',
        "true or false",
        lambda f: gpu(ready={"ssh": "yes"}),
    ),
    python(
        "env-docker-flag", 'Instance("gpu").env', "ports", lambda f: gpu(env={"-v /:/host": "1"})
    ),
    python(
        "env-secret-bad-name",
        'Instance("gpu").env',
        "letters, digits",
        lambda f: gpu(env={"1BAD": SECRET}),
        secret=SECRET,
    ),
    python("port-zero", 'Instance("gpu").ports[0]', "1 to 65535", lambda f: gpu(ports=[0])),
    python(
        "ssh-keys-string",
        'Instance("gpu").ssh_keys',
        "a list",
        lambda f: gpu(ssh_keys=f.public_line),
    ),
    python("label-too-long", 'Instance("gpu").label', "1024", lambda f: gpu(label="x" * 2000)),
    python("bid-too-low", 'Instance("gpu").bid_price', "0.001", lambda f: gpu(bid_price=0.0001)),
    python(
        "runtype-args-ssh",
        'Instance("gpu").ready.ssh',
        "runtype 'ssh'",
        lambda f: gpu(runtype="args", ready=vast.ReadyArgs(ssh=True)),
    ),
    # Outputs: unknown in the program, checked by the provider once resolved
    python("output-disk-bool", f"{CHECKED}disk_gb", "a number", lambda f: gpu(disk_gb=known(True))),
    python("output-query-empty", f"{CHECKED}query", "gpu_ram>=24", lambda f: gpu(query=known(""))),
    python(
        "output-env-secret",
        f"{CHECKED}env",
        "letters, digits",
        lambda f: gpu(env=pulumi.Output.secret({"1BAD": SECRET})),
        secret=SECRET,
    ),
    python(
        "output-ssh-key-name",
        f"{CHECKED}ssh_keys[0]",
        "public key",
        lambda f: gpu(ssh_keys=[known("laptop")]),
    ),
    python(
        "output-probe-empty",
        f"{CHECKED}ready.probe",
        "nvidia-smi",
        lambda f: gpu(ready=vast.ReadyArgs(ssh=True, probe=known(""))),
    ),
    python("output-port-zero", f"{CHECKED}ports[0]", "1 to 65535", lambda f: gpu(ports=known([0]))),
    python(
        "output-offer-id-text",
        f"{CHECKED}offer_id",
        "whole number",
        lambda f: gpu(query=None, offer_id=known("12")),
    ),
]

ROWS: list[Bad] = [*CONFIG_ROWS, *ENTRY_ROWS, *KEY_ROWS, *PYTHON_ROWS]
