"""Components: resources composed of the package's resources (a Deployment is a template,
an endpoint and a worker group). Each module exports its names by its `__all__`; this
package re-exports them, and the package root serves them beside the resources."""

from pulumi_vast.components import deployment
from pulumi_vast.components.deployment import *  # noqa: F403

__all__: list[str] = []
__all__ += deployment.__all__

COMPONENTS = (Deployment,)  # noqa: F405
"""Every component: stack config declares them (`config_key`), the docs describe them."""
