"""httpx, without its command-line client.

`import httpx` also imports `httpx._main`, its CLI, whenever click, rich and pygments
happen to be installed (the test extras bring them): about 90 ms for each provider
process, and `pulumi up` starts two. httpx falls back to a stub CLI when that import
fails; marking the module absent makes it fail at once. Nothing here uses httpx's CLI.
"""

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402 - after the marker above, on purpose

__all__ = ["httpx"]
