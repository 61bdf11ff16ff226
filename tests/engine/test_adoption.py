"""Imports of dynamic resources: the host finds the provider a package registered."""

import subprocess
import sys

from google.protobuf import struct_pb2

from pulumi_vast.engine.adoption import (
    PROVIDER_KEY,
    provider_class,
    supply_provider,
    type_of,
)
from pulumi_vast.resources import Instance, SshKey
from pulumi_vast.resources._resource import registered


class ReadRequest:
    def __init__(self, urn: str, properties: dict[str, object] | None = None) -> None:
        self.urn = urn
        self.properties = struct_pb2.Struct()
        self.properties.update(properties or {})


def test_type_of_a_urn_ignores_parent_types():
    assert type_of("urn:pulumi:dev::proj::pulumi-python:dynamic/vast:Instance::gpu") == (
        "pulumi-python:dynamic/vast:Instance"
    )
    assert type_of("urn:pulumi:dev::proj::my:Component$pulumi-python:dynamic/x:Y::n") == (
        "pulumi-python:dynamic/x:Y"
    )
    assert type_of("garbage") == ""


def test_every_resource_registers_its_provider_for_imports():
    tokens = registered()
    assert {Instance, SshKey} <= set(tokens.values())
    for token, resource in tokens.items():
        assert provider_class(token) is resource.provider_class
    assert provider_class("pulumi-python:dynamic/other:Thing") is None
    assert provider_class("pulumi-python:dynamic/vast:NoSuchThing") is None


def test_a_read_without_provider_gets_one_and_a_read_with_one_is_left_alone():
    bare = ReadRequest("urn:pulumi:dev::p::pulumi-python:dynamic/vast:SshKey::k")
    assert supply_provider(bare) is True
    assert bare.properties[PROVIDER_KEY]

    kept = ReadRequest(bare.urn, {PROVIDER_KEY: "mine"})
    assert supply_provider(kept) is False
    assert kept.properties[PROVIDER_KEY] == "mine"

    unknown = ReadRequest("urn:pulumi:dev::p::pulumi-python:dynamic/other:Thing::t")
    assert supply_provider(unknown) is False
    assert PROVIDER_KEY not in unknown.properties.fields


def test_registered_provider_modules_are_preloaded_in_the_background():
    code = (
        "import sys\n"
        "from pulumi_vast.engine.adoption import preload_providers\n"
        "assert 'pulumi_vast.resources.instance' not in sys.modules\n"
        "preload_providers().join(30)\n"
        "print('pulumi_vast.resources.instance' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
