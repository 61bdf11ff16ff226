"""The package root: its public names, and that tools stay light."""

import ast
import importlib
import pkgutil
import subprocess
import sys

import pulumi_vast
import pulumi_vast.api
import pulumi_vast.components
import pulumi_vast.resources
from pulumi_vast.resources._resource import registered

PUBLIC = [
    "Account",
    "AutoscalingArgs",
    "Cluster",
    "ClusterArgs",
    "ClusterProvider",
    "Deployment",
    "DeploymentArgs",
    "DockerLoginArgs",
    "EnvVar",
    "EnvVarArgs",
    "EnvVarProvider",
    "F",
    "Input",
    "Instance",
    "InstanceArgs",
    "InstanceProvider",
    "NetworkVolume",
    "NetworkVolumeProvider",
    "OverlayNetwork",
    "OverlayNetworkArgs",
    "OverlayNetworkProvider",
    "Policy",
    "Query",
    "QueryError",
    "RankedOffer",
    "ReadyArgs",
    "S3Target",
    "SavePolicy",
    "ServerlessEndpoint",
    "ServerlessEndpointArgs",
    "ServerlessEndpointProvider",
    "SshKey",
    "SshKeyArgs",
    "SshKeyProvider",
    "StackTag",
    "StackTagArgs",
    "StackTagProvider",
    "Task",
    "Template",
    "TemplateArgs",
    "TemplateProvider",
    "TrainingCluster",
    "TrainingClusterArgs",
    "TrainingGang",
    "TrainingGangProvider",
    "VF",
    "VastClient",
    "Volume",
    "VolumeArgs",
    "VolumeMount",
    "VolumeProvider",
    "WorkerGroup",
    "WorkerGroupArgs",
    "WorkerGroupProvider",
    "get_offers",
    "parse_query",
]
FROM_API = {"F", "VF", "Query", "QueryError", "VastClient", "parse_query"}
FROM_COMPONENTS = {"AutoscalingArgs", "Deployment", "DeploymentArgs"}


def test_public_names_are_pinned_and_resolve_to_their_homes():
    assert pulumi_vast.__all__ == PUBLIC
    for name in PUBLIC:
        home = pulumi_vast.api if name in FROM_API else pulumi_vast.resources
        home = pulumi_vast.components if name in FROM_COMPONENTS else home
        assert getattr(pulumi_vast, name) is getattr(home, name)


def test_every_resource_module_is_exported_and_registered():
    modules = [
        info.name
        for info in pkgutil.iter_modules(pulumi_vast.resources.__path__)
        if not info.name.startswith("_")
    ]
    for name in modules:
        module = importlib.import_module(f"pulumi_vast.resources.{name}")
        missing = set(module.__all__) - set(pulumi_vast.resources.__all__)
        assert not missing, f"add `from pulumi_vast.resources.{name} import *` to resources"
    assert {cls.__module__ for cls in registered().values()} == {
        f"pulumi_vast.resources.{name}" for name in modules
    }, "one resource class per module"


def test_providers_live_in_an_importable_module_so_state_holds_a_reference():
    # dill pickles a class from an importable module by name; from __main__ it would
    # pickle the code itself into the state.
    for name in (n for n in PUBLIC if n.endswith("Provider")):
        assert getattr(pulumi_vast, name).__module__.startswith("pulumi_vast.resources.")


def loaded_after(imports: str, *, watched: tuple[str, ...]) -> list[str]:
    """Which of the ``watched`` top-level packages a fresh interpreter has loaded after
    running ``imports``."""
    code = (
        f"import sys\n{imports}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(watched)!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(ast.literal_eval(done.stdout.strip()))


def test_the_simulator_does_not_load_the_pulumi_sdk():
    assert loaded_after("import pulumi_vast.sim.server, pulumi_vast.cli", watched=("pulumi",)) == []


def test_a_program_does_not_load_the_http_client():
    # Programs only declare resources; the provider makes the calls. httpx costs each
    # program run (preview, then up) a noticeable part of a second.
    program = (
        "import pulumi_vast as vast, pulumi_vast.stack\nvast.Instance, vast.SshKey, vast.get_offers"
    )
    assert loaded_after(program, watched=("httpx", "paramiko")) == []


def test_the_api_client_leaves_httpx_command_line_client_unloaded():
    # rich, click and pygments are installed (test extras); httpx would import them all.
    client = "from pulumi_vast.api import VastClient\nVastClient('http://127.0.0.1:9', 'k').close()"
    assert loaded_after(client, watched=("rich", "click", "pygments")) == []
