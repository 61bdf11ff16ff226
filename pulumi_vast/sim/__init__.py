"""A faithful local Vast.ai: a real HTTP server on loopback speaking the REST API as the
official client uses it, with a seeded marketplace of GPU and volume offers and physical
clusters, instances, SSH keys, env vars, templates, volumes, host clusters and overlay
networks, an instance lifecycle driven by a clock tests control, a real SSH server per
running instance, fault injection and a ledger of all that bills, and admin routes behind
a token.

Laid out like moto's ec2, one part per Vast object in each layer:

- `models`: the backend, one mixin per object (`models.accounts`, `.market`, `.clusters`,
  `.overlays`, `.ssh_keys`, `.env_vars`, `.templates`, `.volumes`, `.instances`) composed
  into `SimBackend`; `models.base` derives the store tables, id sequences, load/reset,
  ticks and ledger sections from the mixins, and keeps the change log that hosting
  follows. Persisted by `store` (`migrations` upgrades an older world)
- `responses`: one module per object, each with its route table (`routing.Route`: path,
  auth policy, rate limit) and a handler per route; `urls` collects them and matches
  requests; `admin`: the `/_sim` routes
- `records`: what the backend keeps (`records.env_vars`, `.templates`, `.volumes`,
  `.clusters` beside accounts, SSH keys and instances); `views`: how the API shows
  instances and users; `bodies`: request bodies; `ledger`: what everything cost
- `marketplace`: the seeded GPU offers and physical clusters; `volume_offers`: the volume
  offers on its machines and clusters; `querying`: Vast's filter/order/pagination documents
- `reading`: bodies read bounded and strict; `errors`: typed errors with their status
- `datadir`: the private data folder and its secrets; `sealing`: API keys only as keyed
  digests, secrets sealed at rest; `masking`: how admin answers show them
- `hosting`: the instances' and volumes' folders and SSH servers (`ssh`), following the
  change log, with the tools a container has (`gpu_tools`: nvidia-smi; `net_tools`: ip and
  hostname, showing an overlay member's address as eth0); `container_paths`: where a
  container path lands in an instance's folder
- `clock`, `faults`, `ratelimit`, `app`, `server`, `cli`
- `testing`: start/stop a simulator process and drive its admin routes

A new Vast object is one backend mixin in `models/` (added to `SimBackend`'s bases) and
one module in `responses/` (found there by itself), plus its records if it has any.
"""

from __future__ import annotations

__all__: list[str] = []
