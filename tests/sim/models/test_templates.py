"""Templates: created, found, edited into new versions, deleted; instances made from them
with the request's values winning; secrets sealed at rest and never shown."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.models.templates import CATALOG, FIRST_TEMPLATE_ID
from tests.sim.models.world import World

TOKEN = "hf_templatetoken123"
PASSWORD = "docker-s3cret"
TEMPLATE = {
    "name": "trainer",
    "image": "pytorch/pytorch",
    "tag": "2.3",
    "env": f"-e HF_TOKEN={TOKEN} -e MODE=template -p 8000:8000",
    "onstart": "echo from-template",
    "runtype": "ssh",
    "recommended_disk_space": 24,
    "docker_login_repo": "docker.io",
    "docker_login_user": "me",
    "docker_login_pass": PASSWORD,
}


def _create(world: World, key: str = "alice", **fields: Any) -> tuple[int, str]:
    template, _ = world.backend.create_template(world.backend.account(key), {**TEMPLATE, **fields})
    return template.id, template.hash_id


def _visible(world: World, key: str) -> list[str]:
    return [t.content.name for t in world.backend.visible_templates(world.backend.account(key))]


def test_a_template_has_an_id_and_a_hash_of_its_content(world: World) -> None:
    template_id, hash_id = _create(world)
    assert template_id == FIRST_TEMPLATE_ID
    assert re.fullmatch(r"[0-9a-f]{32}", hash_id)
    again, new = world.backend.create_template(world.backend.account("alice"), TEMPLATE)
    assert (again.id, again.hash_id, new) == (template_id, hash_id, False)
    other_id, other_hash = _create(world, name="another")
    assert other_id != template_id and other_hash != hash_id


def test_private_templates_are_their_owners_public_ones_everyones(world: World) -> None:
    _create(world, name="mine")
    _create(world, name="shared", private=False)
    catalog = [t.content.name for t in CATALOG]
    assert _visible(world, "alice") == ["mine", "shared", *catalog]
    assert _visible(world, "bob") == [*catalog, "shared"], "own first, then by id"


def test_an_edit_makes_a_new_version_and_the_old_hash_still_names_the_old_one(
    world: World,
) -> None:
    alice = world.backend.account("alice")
    template_id, old_hash = _create(world)
    edited = world.backend.update_template(alice, old_hash, None, {"image": "ubuntu", "tag": None})
    assert (edited.id, edited.content.image, edited.content.tag) == (template_id, "ubuntu", "2.3")
    assert edited.hash_id != old_hash
    _, old_version = world.backend.resolve_template(alice, old_hash)
    assert old_version.image == "pytorch/pytorch"
    assert world.backend.resolve_template(alice, edited.hash_id)[1].image == "ubuntu"
    unchanged = world.backend.update_template(alice, edited.hash_id, template_id, {})
    assert unchanged.hash_id == edited.hash_id


def test_only_the_owner_edits_or_deletes(world: World) -> None:
    template_id, hash_id = _create(world, private=False)
    bob = world.backend.account("bob")
    with pytest.raises(NotFound):
        world.backend.update_template(bob, hash_id, None, {"name": "taken"})
    with pytest.raises(NotFound):
        world.backend.delete_template(bob, None, template_id)
    with pytest.raises(NotFound):
        world.backend.delete_template(bob, CATALOG[0].hash_id, None)
    world.backend.delete_template(world.backend.account("alice"), None, template_id)
    assert "trainer" not in _visible(world, "alice")
    with pytest.raises(BadRequest, match="no template"):
        world.backend.resolve_template(bob, hash_id)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"name": None}, "name is required"),
        ({"image": None}, "image is required"),
        ({"runtype": "telepathy"}, "runtype"),
        ({"env": "-e 1=2"}, "NAME=VALUE"),
        ({"recommended_disk_space": -1}, "recommended_disk_space"),
    ],
)
def test_bad_templates_are_refused_naming_the_field(
    world: World, fields: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(BadRequest, match=complaint) as refused:
        _create(world, **fields)
    assert TOKEN not in refused.value.msg


def test_an_instance_takes_what_its_request_leaves_out_from_the_template(world: World) -> None:
    _, hash_id = _create(world)
    plain = world.create(image=None, disk=None, template_hash_id=hash_id)
    row = world.json(plain)
    assert (row["image_uuid"], row["disk_space"], row["image_runtype"]) == (
        "pytorch/pytorch:2.3",
        24,
        "ssh",
    )
    assert row["onstart"] == "echo from-template"
    assert ["MODE", "template"] in row["extra_env"]
    assert ["-p 8000:8000", "1"] in row["extra_env"], "the template's ports"
    assert (row["template_id"], row["template_hash_id"], row["template_name"]) == (
        FIRST_TEMPLATE_ID,
        hash_id,
        "trainer",
    )

    own = world.create(
        image="ubuntu:22.04",
        disk=12,
        env="-e MODE=request",
        onstart="echo from-request",
        runtype="jupyter",
        template_hash_id=hash_id,
    )
    row = world.json(own)
    assert (row["image_uuid"], row["disk_space"], row["image_runtype"]) == (
        "ubuntu:22.04",
        12,
        "jupyter",
    )
    assert row["onstart"] == "echo from-request"
    env = dict(map(tuple, row["extra_env"]))
    assert (env["MODE"], env["HF_TOKEN"]) == ("request", TOKEN), "merged by name"
    (template,) = [t for t in world.backend.templates.values() if t.hash_id == hash_id]
    assert template.count_created == 2


def test_vasts_templates_serve_every_account_and_unknown_hashes_are_refused(
    world: World,
) -> None:
    pytorch = CATALOG[0]
    instance_id = world.create("bob", image=None, template_hash_id=pytorch.hash_id)
    assert world.json(instance_id)["image_uuid"] == pytorch.content.full_image
    with pytest.raises(BadRequest, match="no template"):
        world.create(template_hash_id="0" * 32)


def test_secrets_are_sealed_at_rest_never_shown_and_back_after_a_reopen(world: World) -> None:
    template_id, hash_id = _create(world)
    world.backend.update_template(world.backend.account("alice"), hash_id, None, {"tag": "2.4"})
    stored = json.dumps(world.backend.store.load("templates"))
    assert TOKEN not in stored and PASSWORD not in stored
    shown = world.backend.templates[template_id].to_json()
    assert "docker_login_pass" not in shown and "docker_login_user" not in shown
    assert shown["docker_login_repo"] == "docker.io"
    world.backend.store.close()
    world.backend = world.open()
    reopened = world.backend.templates[template_id]
    assert reopened.content.docker_login_pass == PASSWORD
    assert hash_id in reopened.earlier
