"""A faithful local Vast.ai: a real HTTP server on loopback speaking the REST API as the
official client uses it, with a seeded marketplace, an instance lifecycle driven by a clock
tests control, a real SSH server per running instance, fault injection and a ledger, and
admin routes behind a token.

Laid out like a moto service:

- `urls`: the route table (paths, auth policy, rate-limit thresholds)
- `responses`: parse a request, call the backend, serialize; `admin`: the `/_sim` routes
- `models`: the backend (accounts, instances, SSH keys, ledger), persisted by `store`
  (`migrations` upgrades an older simulator's world)
- `marketplace`: the seeded offers; `querying`: Vast's filter/order/pagination documents
- `reading`: bodies read bounded and strict; `errors`: typed errors with their status
- `datadir`: the private data folder and its secrets; `sealing`: API keys only as keyed
  digests, secrets sealed at rest; `masking`: how admin answers show them
- `clock`, `faults`, `ratelimit`, `hosting` (SSH servers), `app`, `server`, `cli`
- `testing`: start/stop a simulator process and drive its admin routes

This package must stay cheap to import: the web stack is imported only when serving.
"""

from __future__ import annotations

__all__: list[str] = []
