"""The package root: its public names, and that tools stay light."""

import subprocess
import sys

import pulumi_vast
import pulumi_vast.api
import pulumi_vast.resources

PUBLIC = [
    "F",
    "Input",
    "Instance",
    "InstanceArgs",
    "InstanceProvider",
    "Query",
    "QueryError",
    "ReadyArgs",
    "SshKey",
    "SshKeyArgs",
    "SshKeyProvider",
    "VastClient",
    "parse_query",
]
FROM_API = {"F", "Query", "QueryError", "VastClient", "parse_query"}


def test_public_names_are_pinned_and_resolve_to_their_homes():
    assert pulumi_vast.__all__ == PUBLIC
    for name in PUBLIC:
        home = pulumi_vast.api if name in FROM_API else pulumi_vast.resources
        assert getattr(pulumi_vast, name) is getattr(home, name)


def test_providers_live_in_an_importable_module_so_state_holds_a_reference():
    # dill pickles a class from an importable module by name; from __main__ it would
    # pickle the code itself into the state.
    for name in ("InstanceProvider", "SshKeyProvider"):
        assert getattr(pulumi_vast, name).__module__.startswith("pulumi_vast.resources.")


def test_the_simulator_does_not_load_the_pulumi_sdk():
    code = "import sys, pulumi_vast.sim.server, pulumi_vast.cli; print('pulumi' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_program_does_not_load_the_http_client():
    # Programs only declare resources; the provider makes the calls. httpx costs each
    # program run (preview, then up) a noticeable part of a second.
    code = (
        "import sys, pulumi_vast as vast, pulumi_vast.stack\n"
        "vast.Instance, vast.SshKey, vast.InstanceArgs\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'paramiko')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_api_client_leaves_httpx_command_line_client_unloaded():
    # rich, click and pygments are installed (test extras); httpx would import them all.
    code = (
        "import sys\n"
        "from pulumi_vast.api import VastClient\n"
        "VastClient('http://127.0.0.1:9', 'key').close()\n"
        "print(sorted(m for m in ('rich', 'click', 'pygments') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
