"""The package's public names are deliberate: adding or removing one must show up here."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pulumi_vast.api as api

EXPORTS = [
    "API_KEY_ENV", "API_URL_ENV", "CHEAPEST_FIRST", "Charge", "DEFAULT_API_URL", "DEFAULT_FILTERS",
    "DEFAULT_RETRY", "DEFAULT_VOLUME_SIZE_GB", "ENV_NAME", "ENV_VAR_EXISTS", "FAILED_STATUSES",
    "FAILURE_MESSAGES", "GPU_OFFERS", "MAX_BID_PRICE", "MAX_LABEL_LENGTH", "MAX_ONSTART_LENGTH",
    "MIB_PER_GIB", "MIN_BID_PRICE", "NO_PACING", "NO_RETRY", "OFFER_ALIASES", "OFFER_FIELDS",
    "OFFICIAL_ORDER", "PENDING_STATUSES", "TEMPLATE_SEARCH_DEFAULTS", "VAST_RATE_LIMITS",
    "VOLUME_OFFERS", "APIError", "BadRequest", "Clear", "Condition", "CreateInstanceRequest",
    "CreateVolumeRequest", "DockerOptions", "EnvVar", "F", "FieldKind", "Gone", "Instance",
    "InstanceCreatedWithError", "NotFound", "Offer", "OfferField", "PortBinding", "Query",
    "QueryError", "QuotaExceeded", "RateLimited", "RateLimits", "Redactor", "RequestStats",
    "ResponseLost", "RetriesExhausted", "RetryPolicy", "Runtype", "ServerError", "SshEndpoint",
    "SshKey", "StatsSnapshot", "Template", "TemplateRequest", "TemplateRuntype", "TransportError",
    "Unauthorized", "UnexpectedResponse", "User", "VF", "VastClient", "VastError", "Vocabulary",
    "Volume", "VolumeAttachment", "VolumeOffer", "parse_docker_options", "parse_order",
    "parse_query", "port_mapping", "render_docker_options"
]  # fmt: skip

MODULES = [
    "charges", "client", "docker_options", "env_vars", "errors", "field_values", "filters",
    "instances", "network_volumes",
    "offer_fields", "offers", "pacing", "query", "redaction", "retry", "ssh_keys", "stats",
    "templates", "transport", "units", "users", "vocabulary", "volume_offer_fields", "volumes",
    "_base", "_searching"
]  # fmt: skip


def test_the_package_exports_exactly_the_pinned_names() -> None:
    assert sorted(api.__all__) == sorted(EXPORTS)
    for name in EXPORTS:
        assert getattr(api, name) is not None


def test_every_module_declares_what_it_exports() -> None:
    for name in MODULES:
        module = importlib.import_module(f"pulumi_vast.api.{name}")
        exported = module.__all__
        assert exported, name
        for item in exported:
            assert hasattr(module, item), f"{name}.{item}"


def test_every_error_descends_from_vast_error() -> None:
    errors = importlib.import_module("pulumi_vast.api.errors")
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), api.VastError), name
    assert issubclass(api.QueryError, ValueError)
    assert issubclass(api.ResponseLost, api.TransportError)


def test_the_models_of_templates_env_vars_and_volumes_load_on_first_use() -> None:
    # A program that only writes queries must not pay for building them (some 30 ms).
    lazy = ["docker_options", "env_vars", "templates", "volumes"]
    code = (
        "import sys, pulumi_vast.api as api\n"
        f"print([m for m in {lazy!r} if 'pulumi_vast.api.' + m in sys.modules])\n"
        "api.Template, api.EnvVar, api.Volume, api.DockerOptions\n"
        f"print([m for m in {lazy!r} if 'pulumi_vast.api.' + m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", repr(lazy)]
