"""Bad `Template` inputs: `pulumi-vast:templates` entries, `Template(...)` in Python, and
instances naming a template."""

from __future__ import annotations

from typing import Any

import pulumi_vast as vast
from pulumi_vast.api import VF, F, Query
from tests.resources.bad_inputs.rows import (
    DROP,
    IMAGE,
    QUERY,
    Bad,
    Program,
    StackConfig,
    instance,
)

__all__ = ["ROWS"]

AT = "pulumi-vast:templates[0]"
PASSWORD = "dckr_pat_SECRET_0042"


def template(**fields: Any) -> dict[str, Any]:
    """A valid `pulumi-vast:templates` entry named `trainer`, with ``fields`` changed."""
    entry = {"name": "trainer", "image": "pytorch/pytorch", "tag": "2.4.1", **fields}
    return {k: v for k, v in entry.items() if v is not DROP}


def config(id_: str, setting: str, fix: str, secret: str | None = None, **fields: Any) -> Bad:
    """A row of one template entry with ``fields`` changed; ``setting`` is relative to it."""
    given = StackConfig({"pulumi-vast:templates": [template(**fields)]})
    return Bad(f"config-template-{id_}", given, f"{AT}.{setting}", fix, secret)


def entries(id_: str, setting: str, fix: str, **config: Any) -> Bad:
    return Bad(f"config-{id_}", StackConfig(config), setting, fix)


def python(id_: str, setting: str, fix: str, secret: str | None = None, **fields: Any) -> Bad:
    """`Template("trainer", ...)` with a valid image unless ``fields`` say otherwise."""
    given_fields = {"image": "pytorch/pytorch", **fields}
    inputs = {k: v for k, v in given_fields.items() if v is not DROP}
    given = Program(lambda f: vast.Template("trainer", **inputs))
    return Bad(f"python-template-{id_}", given, f'Template("trainer").{setting}', fix, secret)


CONFIG_ROWS = [
    # name: the entry's, and the template's name on Vast
    config("name-number", "name", "text", name=5),
    config("name-empty", "name", "a name", name=""),
    config("name-blank", "name", "printable", name="   "),
    config("name-newline", "name", "one line", name="a\nb"),
    config("name-too-long", "name", "256", name="t" * 300),
    # image and tag
    config("image-missing", "image", "pytorch/pytorch", image=DROP),
    config("image-number", "image", "text", image=5),
    config("image-list", "image", "text", image=["pytorch/pytorch"]),
    config("image-empty", "image", "Docker image", image=""),
    config("image-space", "image", "Docker image", image="pytorch pytorch"),
    config("image-control", "image", "Docker image", image="pytorch/\x07pytorch"),
    config("image-too-long", "image", "1024", image="p" * 2000),
    config("tag-number", "tag", "put it in quotes", tag=2.4),
    config("tag-empty", "tag", "tag", tag=""),
    config("tag-space", "tag", "Docker tag", tag="2.4 latest"),
    config("tag-trailing-newline", "tag", "Docker tag", tag="2.4\n"),
    config("tag-too-long", "tag", "128", tag="t" * 200),
    # env: variable names, text values that Docker options can carry
    config("env-docker-flag", "env", "ports", env={"-v /:/host": "1"}),
    config(
        "env-bad-name", "env", "letters, digits", "hunter2-hidden", env={"1BAD": "hunter2-hidden"}
    ),
    config("env-trailing-newline-name", "env", "letters, digits", env={"A\n": "1"}),
    config("env-number-value", "env.PORT", "quote", env={"PORT": 8080}),
    config("env-list", "env", "NAME: value", env=["A=1"]),
    config("env-quote-value", "env.GREETING", "account env var", env={"GREETING": 'say "hi"'}),
    config("env-newline-value", "env.SCRIPT", "account env var", env={"SCRIPT": "a\nb"}),
    # ports
    config("port-zero", "ports[0]", "1 to 65535", ports=[0]),
    config("port-too-big", "ports[0]", "1 to 65535", ports=[70000]),
    config("port-words", "ports[0]", "53/udp", ports=["http"]),
    config("ports-not-a-list", "ports", "a list", ports=8080),
    # onstart, readme
    config("onstart-number", "onstart", "text", onstart=5),
    config("onstart-too-long", "onstart", "4048", onstart="echo hi\n" * 700),
    config("readme-number", "readme", "text", readme=5),
    config("readme-too-long", "readme", "16384", readme="r" * 20_000),
    # runtype, private
    config("runtype-typo", "runtype", "'ssh'", runtype="sssh"),
    config("runtype-bool", "runtype", "'ssh'", runtype=True),
    config("private-text", "private", "true or false", private="yes"),
    # disk_gb: a number of GB Vast keeps
    config("disk-bool", "disk_gb", "a number", disk_gb=True),
    config("disk-negative", "disk_gb", "greater than 0", disk_gb=-1),
    config("disk-zero", "disk_gb", "greater than 0", disk_gb=0),
    config("disk-words", "disk_gb", "a number", disk_gb="abc"),
    config("disk-quoted", "disk_gb", "without quotes", disk_gb="50"),
    config("disk-huge", "disk_gb", "at most", disk_gb=10_000_000),
    # docker_login: a mapping of username and password (a secret)
    config("login-text", "docker_login", "username", docker_login="me:" + PASSWORD),
    config(
        "login-no-password",
        "docker_login.password",
        "is required",
        docker_login={"username": "me"},
    ),
    config(
        "login-empty-user",
        "docker_login.username",
        "Registry user",
        PASSWORD,
        docker_login={"username": "", "password": PASSWORD},
    ),
    config(
        "login-misspelt",
        "docker_login.user",
        "did you mean 'username'",
        PASSWORD,
        docker_login={"user": "me", "password": PASSWORD},
    ),
    config(
        "login-password-number",
        "docker_login.password",
        "text",
        docker_login={"username": "me", "password": 1234},
    ),
    config(
        "login-registry-space",
        "docker_login.registry",
        "ghcr.io",
        PASSWORD,
        docker_login={"username": "me", "password": PASSWORD, "registry": "ghcr io"},
    ),
    # search_params: a GPU offer query
    config("search-empty", "search_params", "gpu_ram>=24", search_params=""),
    config("search-no-conditions", "search_params", "gpu_ram>=24", search_params="gpu_name=any"),
    config("search-unknown-field", "search_params", "gpu_ram", search_params="gpu_rma>=24"),
    config(
        "search-volume-field",
        "search_params",
        "is a field of volume offers",
        search_params="nw_disk_avg_bw>100",
    ),
    config("search-number", "search_params", "gpu_ram>=24", search_params=24),
    # unknown keys
    config("misspelt-input", "disk", "did you mean 'disk_gb'", disk=50),
    config("camel-case-input", "diskGb", "disk_gb", diskGb=50),
    config("unknown-input", "gpu", "valid settings", gpu="4090"),
    # the section itself
    entries(
        "template-name-duplicate",
        "pulumi-vast:templates[1].name",
        "unique",
        **{"pulumi-vast:templates": [template(), template()]},
    ),
    entries(
        "templates-mapping",
        "pulumi-vast:templates",
        "a list",
        **{"pulumi-vast:templates": {"trainer": template()}},
    ),
    entries("template-entry-text", AT, "a mapping", **{"pulumi-vast:templates": ["trainer"]}),
    entries(
        "template-key-typo",
        "pulumi-vast:template",
        "did you mean pulumi-vast:templates",
        **{"pulumi-vast:template": [template()]},
    ),
]

SSH_KEY = {"name": "me", "publicKey": "{public_line}"}
"""An entry of another kind that an instance's `template` may wrongly name."""


def referring(id_: str, setting: str, fix: str, **fields: Any) -> Bad:
    """Instance `gpu` (from template `trainer`) with ``fields`` changed."""
    given = StackConfig(
        {
            "pulumi-vast:templates": [template()],
            "pulumi-vast:sshKeys": [SSH_KEY],
            "pulumi-vast:instances": [instance(**{"image": DROP, "template": "trainer", **fields})],
        }
    )
    return Bad(f"config-{id_}", given, f"pulumi-vast:instances[0].{setting}", fix)


REFERENCE_ROWS = [
    referring("instance-template-undeclared", "template", "pulumi-vast:templates", template="nope"),
    referring(
        "instance-template-misspelt", "template", "did you mean 'trainer'", template="trainr"
    ),
    referring("instance-template-ssh-key", "template", "pulumi-vast:templates", template="me"),
    referring("instance-template-number", "template", "hash id", template=5),
    referring("instance-template-space", "template", "hash id", template="my trainer"),
    referring("instance-template-empty", "template", "hash id", template=""),
]

PYTHON_ROWS = [
    python("image-missing", "image", "pytorch/pytorch", image=DROP),
    python("image-number", "image", "text", image=5),
    python("name-empty", "name", "name on Vast", name=""),
    python("name-newline", "name", "one line", name="a\nb"),
    python("disk-negative", "disk_gb", "greater than 0", disk_gb=-1),
    python("disk-bool", "disk_gb", "a number", disk_gb=True),
    python("runtype-typo", "runtype", "'ssh'", runtype="sssh"),
    python("env-docker-flag", "env", "ports", env={"-v /:/host": "1"}),
    python("env-quote-value", "env.GREETING", "account env var", env={"GREETING": 'say "hi"'}),
    python("port-zero", "ports[0]", "1 to 65535", ports=[0]),
    python("search-condition", "search_params", "Query.where", search_params=F.gpu_ram >= 24),
    python(
        "search-query-of-volumes",
        "search_params",
        "build it with F",
        search_params=Query.where(VF.disk_space >= 100),
    ),
    python("search-unknown-field", "search_params", "gpu_ram", search_params="gpu_rma>=24"),
    python(
        "login-dict-no-password",
        "docker_login.password",
        "is required",
        docker_login={"username": "me"},
    ),
    python("misspelt-keyword", "imag", "did you mean 'image'", imag="pytorch/pytorch"),
    Bad(
        "python-login-args-no-password",
        Program(lambda f: vast.DockerLoginArgs(username="me")),
        "DockerLoginArgs.password",
        "is required",
    ),
    Bad(
        "python-instance-template-space",
        Program(lambda f: vast.Instance("gpu", query=QUERY, template="my trainer")),
        'Instance("gpu").template',
        "hash id",
    ),
    Bad(
        "python-instance-query-of-volumes",
        Program(
            lambda f: vast.Instance("gpu", query=Query.where(VF.disk_space >= 100), image=IMAGE)
        ),
        'Instance("gpu").query',
        "build it with F",
    ),
    Bad(
        "python-instance-template-neither",
        Program(lambda f: vast.Instance("gpu", query=QUERY)),
        'Instance("gpu").image',
        "template",
    ),
    Bad(
        "python-instance-template-number",
        Program(lambda f: vast.Instance("gpu", query=QUERY, image=IMAGE, template=5)),
        'Instance("gpu").template',
        "a template_id does not name",
    ),
]

ROWS: list[Bad] = [*CONFIG_ROWS, *REFERENCE_ROWS, *PYTHON_ROWS]
