"""The wire layer: a typed, thread-safe client of the Vast REST API.

```python
from pulumi_vast.api import VF, CHEAPEST_FIRST, CreateVolumeRequest, Query, VastClient

client = VastClient.from_env()
offers = client.offers.search("gpu_ram>=24 num_gpus=1 dph<=0.5", order=CHEAPEST_FIRST)
space = client.volumes.search(Query.where(VF.disk_space >= 100), order="storage_cost+")
rent = CreateVolumeRequest(offer_id=space[0].id, size=100, name="my-stack/data")
volume_id = client.volumes.create(rent)  # after a lost answer: client.volumes.find(rent.name)
```

One module per API object, each with its models and calls: `offers`, `instances`,
`ssh_keys`, `templates`, `env_vars`, `volumes`, `network_volumes`, `users`, `charges`; all
HTTP goes through `transport` (retries, pacing, redaction, the error tree of `errors`). The query
language is `query` over a `vocabulary` per kind of offer (`offer_fields`,
`volume_offer_fields`).

`VastClient` loads on first use: it brings httpx, which a Pulumi program (as opposed to
the provider) never needs, and which costs each process a sixth of a second to import.
The models of templates, env vars and volumes load on first use too (building them costs
a program that only writes queries some 30 ms).
"""

from typing import TYPE_CHECKING

from pulumi_vast._lazy import lazy_exports
from pulumi_vast.api.charges import Charge
from pulumi_vast.api.defaults import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL
from pulumi_vast.api.errors import (
    APIError,
    BadRequest,
    Gone,
    InstanceCreatedWithError,
    NotFound,
    QueryError,
    QuotaExceeded,
    RateLimited,
    ResponseLost,
    RetriesExhausted,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    VastError,
)
from pulumi_vast.api.instances import (
    DEFAULT_VOLUME_SIZE_GB,
    ENV_NAME,
    FAILED_STATUSES,
    FAILURE_MESSAGES,
    MAX_BID_PRICE,
    MAX_LABEL_LENGTH,
    MAX_ONSTART_LENGTH,
    MIN_BID_PRICE,
    PENDING_STATUSES,
    CreateInstanceRequest,
    Instance,
    PortBinding,
    Runtype,
    SshEndpoint,
    VolumeAttachment,
    port_mapping,
)
from pulumi_vast.api.offer_fields import GPU_OFFERS, OFFER_ALIASES, OFFER_FIELDS
from pulumi_vast.api.offers import Offer
from pulumi_vast.api.pacing import NO_PACING, VAST_RATE_LIMITS, RateLimits
from pulumi_vast.api.query import (
    CHEAPEST_FIRST,
    DEFAULT_FILTERS,
    OFFICIAL_ORDER,
    VF,
    Clear,
    Condition,
    F,
    Query,
    parse_order,
    parse_query,
)
from pulumi_vast.api.redaction import Redactor
from pulumi_vast.api.retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy
from pulumi_vast.api.ssh_keys import SshKey
from pulumi_vast.api.stats import RequestStats, StatsSnapshot
from pulumi_vast.api.units import MIB_PER_GIB
from pulumi_vast.api.users import User
from pulumi_vast.api.vocabulary import FieldKind, OfferField, Vocabulary
from pulumi_vast.api.volume_offer_fields import VOLUME_OFFERS

__all__ = [
    "API_KEY_ENV",
    "API_URL_ENV",
    "CHEAPEST_FIRST",
    "DEFAULT_API_URL",
    "DEFAULT_FILTERS",
    "DEFAULT_RETRY",
    "DEFAULT_VOLUME_SIZE_GB",
    "ENV_NAME",
    "ENV_VAR_EXISTS",
    "FAILED_STATUSES",
    "FAILURE_MESSAGES",
    "GPU_OFFERS",
    "MAX_BID_PRICE",
    "MAX_LABEL_LENGTH",
    "MAX_ONSTART_LENGTH",
    "MIB_PER_GIB",
    "MIN_BID_PRICE",
    "NO_PACING",
    "NO_RETRY",
    "OFFER_ALIASES",
    "OFFER_FIELDS",
    "OFFICIAL_ORDER",
    "PENDING_STATUSES",
    "TEMPLATE_SEARCH_DEFAULTS",
    "VAST_RATE_LIMITS",
    "VF",
    "VOLUME_OFFERS",
    "APIError",
    "BadRequest",
    "Charge",
    "Clear",
    "Condition",
    "CreateInstanceRequest",
    "CreateVolumeRequest",
    "DockerOptions",
    "EnvVar",
    "F",
    "FieldKind",
    "Gone",
    "Instance",
    "InstanceCreatedWithError",
    "NotFound",
    "Offer",
    "OfferField",
    "PortBinding",
    "Query",
    "QueryError",
    "QuotaExceeded",
    "RateLimited",
    "RateLimits",
    "Redactor",
    "RequestStats",
    "ResponseLost",
    "RetriesExhausted",
    "RetryPolicy",
    "Runtype",
    "ServerError",
    "SshEndpoint",
    "SshKey",
    "StatsSnapshot",
    "Template",
    "TemplateRequest",
    "TemplateRuntype",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "User",
    "VastClient",
    "VastError",
    "Vocabulary",
    "Volume",
    "VolumeAttachment",
    "VolumeOffer",
    "parse_docker_options",
    "parse_order",
    "parse_query",
    "port_mapping",
    "render_docker_options",
]

if TYPE_CHECKING:
    from pulumi_vast.api.client import VastClient as VastClient
    from pulumi_vast.api.docker_options import DockerOptions as DockerOptions
    from pulumi_vast.api.docker_options import parse_docker_options as parse_docker_options
    from pulumi_vast.api.docker_options import render_docker_options as render_docker_options
    from pulumi_vast.api.env_vars import ENV_VAR_EXISTS as ENV_VAR_EXISTS
    from pulumi_vast.api.env_vars import EnvVar as EnvVar
    from pulumi_vast.api.templates import TEMPLATE_SEARCH_DEFAULTS as TEMPLATE_SEARCH_DEFAULTS
    from pulumi_vast.api.templates import Template as Template
    from pulumi_vast.api.templates import TemplateRequest as TemplateRequest
    from pulumi_vast.api.templates import TemplateRuntype as TemplateRuntype
    from pulumi_vast.api.volumes import CreateVolumeRequest as CreateVolumeRequest
    from pulumi_vast.api.volumes import Volume as Volume
    from pulumi_vast.api.volumes import VolumeOffer as VolumeOffer
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "VastClient": "pulumi_vast.api.client",
            **dict.fromkeys(
                ("DockerOptions", "parse_docker_options", "render_docker_options"),
                "pulumi_vast.api.docker_options",
            ),
            **dict.fromkeys(("ENV_VAR_EXISTS", "EnvVar"), "pulumi_vast.api.env_vars"),
            **dict.fromkeys(
                ("TEMPLATE_SEARCH_DEFAULTS", "Template", "TemplateRequest", "TemplateRuntype"),
                "pulumi_vast.api.templates",
            ),
            **dict.fromkeys(
                ("CreateVolumeRequest", "Volume", "VolumeOffer"), "pulumi_vast.api.volumes"
            ),
        },
    )
