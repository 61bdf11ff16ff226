"""Bad `Volume` and `NetworkVolume` inputs (`pulumi-vast:volumes`, `networkVolumes`,
`Volume(...)`), and bad mounts of them in instances (`volumes: [{volume, path}]`)."""

from __future__ import annotations

from typing import Any

import pulumi_vast as vast
from pulumi_vast.api import F, Query
from tests.resources.bad_inputs.rows import DROP, IMAGE, QUERY, Bad, Program, StackConfig, instance

__all__ = ["ROWS"]

VOLUME_QUERY = "disk_space>=100 reliability>0.9"
AT = "pulumi-vast:volumes[0]"


def volume(**fields: Any) -> dict[str, Any]:
    """A valid volume entry named `data`, with ``fields`` changed."""
    entry = {"name": "data", "query": VOLUME_QUERY, "size_gb": 100, **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def config(id_: str, setting: str, fix: str, **fields: Any) -> Bad:
    """A row of one `pulumi-vast:volumes` entry with ``fields`` changed; ``setting`` is
    relative to it, or absolute when it starts with `resource`."""
    where = setting if setting.startswith("resource ") else f"{AT}.{setting}"
    given = StackConfig({"pulumi-vast:volumes": [volume(**fields)]})
    return Bad(f"config-volume-{id_}", given, where, fix)


def network(id_: str, setting: str, fix: str, **fields: Any) -> Bad:
    given = StackConfig({"pulumi-vast:networkVolumes": [volume(**fields)]})
    where = f"pulumi-vast:networkVolumes[0].{setting}"
    return Bad(f"config-network-volume-{id_}", given, where, fix)


def entries(id_: str, setting: str, fix: str, **config: Any) -> Bad:
    return Bad(f"config-{id_}", StackConfig(config), setting, fix)


CONFIG_ROWS = [
    # size_gb: whole GB, fixed at rent
    config("size-missing", "size_gb", "is required", size_gb=DROP),
    config("size-negative", "size_gb", "at least 1", size_gb=-1),
    config("size-zero", "size_gb", "at least 1", size_gb=0),
    config("size-huge", "size_gb", "at most 100000", size_gb=10**9),
    config("size-words", "size_gb", "a whole number", size_gb="abc"),
    config("size-quoted", "size_gb", "without quotes", size_gb="100"),
    config("size-bool", "size_gb", "a whole number", size_gb=True),
    config("size-fraction", "size_gb", "a whole number", size_gb=1.5),
    config("size-list", "size_gb", "a whole number", size_gb=[100]),
    # query: the volume offers' vocabulary, with conditions
    config("query-empty", "query", "disk_space>=100", query=""),
    config("query-blank", "query", "disk_space>=100", query="   "),
    config("query-gpu-field", "query", "is a field of GPU offers", query="gpu_ram>=24"),
    config("query-unknown-field", "query", "disk_space", query="disk_spcae>=100"),
    config("query-bad-value", "query", "disk_space", query="disk_space>=lots"),
    config("query-number", "query", "disk_space>=100", query=100),
    config("query-list", "query", "disk_space>=100", query=[VOLUME_QUERY]),
    config("query-and-offer-missing", "query", "exactly one", query=DROP),
    config("query-and-offer-both", "query", "exactly one", offer_id=123),
    config("offer-id-text", "offer_id", "whole number", query=DROP, offer_id="abc"),
    config("offer-id-zero", "offer_id", "at least 1", query=DROP, offer_id=0),
    # order, on_destroy
    config("order-empty", "order", "storage_cost+", order=""),
    config("order-gpu-field", "order", "storage_cost", order="dph+"),
    config("order-number", "order", "storage_cost+", order=5),
    config("on-destroy-maybe", "on_destroy", "'keep'", on_destroy="maybe"),
    config("on-destroy-bool", "on_destroy", "'keep'", on_destroy=True),
    # name: the volume's name on Vast
    config("name-empty", "name", "a name", name=""),
    config("name-blank", "name", "printable", name="   "),
    config("name-padded", "name", "without spaces at either end", name=" data"),
    config("name-newline", "name", "printable", name="da\nta"),
    config("name-too-long", "name", "256", name="d" * 300),
    config("name-number", "name", "text", name=5),
    # unknown keys
    config("camel-case-input", "sizeGb", "did you mean 'size_gb'", size_gb=DROP, sizeGb=100),
    config("misspelt-input", "size", "did you mean 'size_gb'", size_gb=DROP, size=100),
    config("unknown-input", "path", "valid settings", path="/data"),
    # the market, at preview
    config(
        "query-matches-nothing",
        "resource 'data'",
        "loosen a condition",
        query="disk_space>=100000 reliability>0.999999",
    ),
    # network volumes: the same table
    network("size-negative", "size_gb", "at least 1", size_gb=-1),
    network("query-gpu-field", "query", "is a field of GPU offers", query="num_gpus>=1"),
    network("camel-case-input", "sizeGb", "did you mean 'size_gb'", sizeGb=100),
    network("on-destroy-maybe", "on_destroy", "'keep'", on_destroy="maybe"),
    # the sections
    entries(
        "volume-name-duplicate",
        "pulumi-vast:volumes[1].name",
        "unique",
        **{"pulumi-vast:volumes": [volume(), volume()]},
    ),
    entries(
        "network-volume-name-duplicate",
        "pulumi-vast:networkVolumes[1].name",
        "unique",
        **{"pulumi-vast:networkVolumes": [volume(), volume()]},
    ),
    entries(
        "volumes-mapping",
        "pulumi-vast:volumes",
        "a list",
        **{"pulumi-vast:volumes": {"data": volume()}},
    ),
    entries(
        "volumes-key-typo",
        "pulumi-vast:networkVolume",
        "did you mean pulumi-vast:networkVolumes",
        **{"pulumi-vast:networkVolume": [volume()]},
    ),
]

MOUNT = "pulumi-vast:instances[0].volumes"


def mounting(id_: str, setting: str, fix: str, mounts: Any) -> Bad:
    """Instance `gpu` mounting ``mounts``, beside volume `data` and SSH key `me`."""
    given = StackConfig(
        {
            "pulumi-vast:volumes": [volume()],
            "pulumi-vast:sshKeys": [{"name": "me", "publicKey": "{public_line}"}],
            "pulumi-vast:instances": [instance(volumes=mounts)],
        }
    )
    return Bad(f"config-mount-{id_}", given, f"{MOUNT}{setting}", fix)


MOUNT_ROWS = [
    mounting("undeclared", "[0].volume", "pulumi-vast:volumes", [{"volume": "nope", "path": "/d"}]),
    mounting("misspelt", "[0].volume", "did you mean 'data'", [{"volume": "dta", "path": "/d"}]),
    mounting("ssh-key", "[0].volume", "pulumi-vast:volumes", [{"volume": "me", "path": "/d"}]),
    mounting("volume-zero", "[0].volume", "a whole number from 1", [{"volume": 0, "path": "/d"}]),
    mounting("volume-bool", "[0].volume", "nor a volume id", [{"volume": True, "path": "/d"}]),
    mounting("volume-missing", "[0].volume", "is required", [{"path": "/data"}]),
    mounting("path-missing", "[0].path", "/data", [{"volume": "data"}]),
    mounting("path-relative", "[0].path", "/data", [{"volume": "data", "path": "data"}]),
    mounting("path-root", "[0].path", "/data", [{"volume": "data", "path": "/"}]),
    mounting("path-empty", "[0].path", "/data", [{"volume": "data", "path": ""}]),
    mounting("path-space", "[0].path", "/data", [{"volume": "data", "path": "/my data"}]),
    mounting("path-newline", "[0].path", "/data", [{"volume": "data", "path": "/data\n"}]),
    mounting("path-number", "[0].path", "text", [{"volume": "data", "path": 5}]),
    mounting(
        "misspelt-key",
        "[0].mountPath",
        "valid settings: volume, path",
        [{"volume": "data", "mountPath": "/d"}],
    ),
    mounting(
        "two-volumes",
        "",
        "at most 1 is allowed: One volume",
        [{"volume": "data", "path": "/a"}, {"volume": "data", "path": "/b"}],
    ),
    mounting("not-a-list", "", "a list", {"volume": "data", "path": "/data"}),
    mounting("name-only", "[0]", "a mapping", ["data"]),
]


def _volume(**fields: Any) -> vast.Volume:
    return vast.Volume("data", **{"query": VOLUME_QUERY, "size_gb": 100, **fields})


def python(id_: str, setting: str, fix: str, **fields: Any) -> Bad:
    given = Program(lambda f: _volume(**fields))
    return Bad(f"python-volume-{id_}", given, f'Volume("data").{setting}', fix)


def _mount_by_name(files: Any) -> None:
    _volume()
    mount = {"volume": "data", "path": "/data"}
    vast.Instance("gpu", query=QUERY, image=IMAGE, volumes=[mount])


def _mount_relative(files: Any) -> None:
    vast.Instance(
        "gpu", query=QUERY, image=IMAGE, volumes=[vast.VolumeMount(volume=_volume(), path="data")]
    )


def _two_mounts(files: Any) -> None:
    data = _volume()
    mounts = [vast.VolumeMount(volume=data, path=p) for p in ("/a", "/b")]
    vast.Instance("gpu", query=QUERY, image=IMAGE, volumes=mounts)


PYTHON_ROWS = [
    python("size-negative", "size_gb", "at least 1", size_gb=-1),
    python("size-text", "size_gb", "without quotes", size_gb="100"),
    python("size-huge", "size_gb", "at most 100000", size_gb=10**9),
    python("query-gpu-field", "query", "gpu_ram", query="gpu_ram>=24"),
    python("query-of-gpus", "query", "VF", query=Query.where(F.gpu_ram >= 24)),
    python("query-empty", "query", "disk_space>=100", query=""),
    python("on-destroy-maybe", "on_destroy", "'keep'", on_destroy="maybe"),
    python("name-newline", "name", "printable", name="a\nb"),
    python("misspelt-keyword", "sizeGb", "did you mean 'size_gb'", sizeGb=100),
    Bad(
        "python-network-volume-size-zero",
        Program(lambda f: vast.NetworkVolume("shared", query=VOLUME_QUERY, size_gb=0)),
        'NetworkVolume("shared").size_gb',
        "at least 1",
    ),
    Bad(
        "python-mount-by-name",
        Program(_mount_by_name),
        'Instance("gpu").volumes[0].volume',
        "Volume",
    ),
    Bad("python-mount-relative", Program(_mount_relative), "VolumeMount.path", "/data"),
    Bad(
        "python-mount-two", Program(_two_mounts), 'Instance("gpu").volumes', "at most 1 is allowed"
    ),
]

ROWS: list[Bad] = [*CONFIG_ROWS, *MOUNT_ROWS, *PYTHON_ROWS]
