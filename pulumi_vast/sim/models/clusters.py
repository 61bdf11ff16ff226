"""Physical clusters: machines of one host on one LAN, sharing a `cluster_id`.

Two kinds live side by side. The seeded market's (`marketplace.CLUSTER_FLEET`, and each
SXM machine of the fleet as a cluster of its own) belong to other hosts: renters see them
only as the `cluster_id` of offers. An account registers its own as a host, with the
official client's calls (`vastai.api.clusters`):

- `GET /api/v0/clusters/` -> ``{"success", "clusters": {"<id>": {"subnet", "nodes":
  [{"machine_id", "is_cluster_manager", "local_ip"}]}}}``, the account's clusters;
- `POST /api/v0/cluster/` ``{subnet, manager_id}`` registers one, its manager its first
  node; the answer's `msg` names the new id (the official client reads only `msg`: find the
  id by the manager with `GET /clusters/`);
- `PUT /api/v0/cluster/` ``{cluster_id, machine_ids}`` joins machines;
- `DELETE /api/v0/cluster/remove_machine/` ``{cluster_id, machine_id, new_manager_id?}``
  removes one (the manager only with a new manager, a member);
- `DELETE /api/v0/cluster/` ``{cluster_id}`` deletes it, refused while an overlay is on it.

The simulator has no host accounts: any market machine outside a cluster stands for one of
the account's own, and a machine is in at most one cluster. A registered cluster is
physical like the seeded ones: its machines' offers carry its id (`cluster_of`), and
overlays can be made on it. Nodes get local addresses in the subnet in the order they join.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict
from typing import ClassVar

from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.models.market import MarketBackend
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.records.clusters import HostCluster

__all__ = ["FIRST_HOST_CLUSTER_ID", "ClustersBackend"]

FIRST_HOST_CLUSTER_ID = 5_001
"""Above every seeded cluster id (`marketplace`), at any market scale."""


class ClustersBackend(MarketBackend):
    TABLES = ("clusters",)
    COUNTERS: ClassVar[dict[str, int]] = {"cluster": FIRST_HOST_CLUSTER_ID}

    host_clusters: dict[int, HostCluster]
    """Every cluster an account registered (the deleted ones too)."""

    def _load(self) -> None:
        super()._load()
        self.host_clusters = {r["id"]: HostCluster(**r) for r in self.store.load("clusters")}
        self._seeded_clusters = {
            m.cluster_id for m in self.market.machines.values() if m.cluster_id is not None
        }
        self._index_clusters()

    def _forget(self) -> None:
        super()._forget()
        self.host_clusters.clear()
        self._index_clusters()

    def _overlays_on(self, cluster_id: int) -> list[str]:
        """Names of the live overlays on a cluster (the overlays' backend knows)."""
        return []

    def _save_cluster(self, cluster: HostCluster) -> None:
        self.store.put("clusters", cluster.id, asdict(cluster))
        self._index_clusters()

    def _index_clusters(self) -> None:
        self._registered = {
            machine_id: c.id
            for c in self.host_clusters.values()
            if c.alive
            for machine_id in c.machine_ids
        }

    # ---- what renters see ---------------------------------------------------------------

    def cluster_of(self, machine_id: int) -> int | None:
        seeded = super().cluster_of(machine_id)
        return seeded if seeded is not None else self._registered.get(machine_id)

    def cluster_exists(self, cluster_id: int) -> bool:
        """Whether a physical cluster (seeded or registered) has that id."""
        return cluster_id in self._seeded_clusters or cluster_id in self._registered.values()

    # ---- the host's calls ---------------------------------------------------------------

    def own_clusters(self, account: Account) -> list[HostCluster]:
        return sorted(
            (c for c in self.host_clusters.values() if c.alive and c.account == account.digest),
            key=lambda c: c.id,
        )

    def create_cluster(self, account: Account, subnet: str, manager_id: int) -> HostCluster:
        network = _subnet(subnet)
        self._free_machine(manager_id)
        cluster = HostCluster(
            id=self._take_id("cluster"),
            account=account.digest,
            account_id=account.id,
            subnet=str(network),
            manager_id=manager_id,
            created_at=self.now(),
        )
        self._add_node(cluster, manager_id)
        self.host_clusters[cluster.id] = cluster
        self._save_cluster(cluster)
        return cluster

    def join_cluster(
        self, account: Account, cluster_id: int, machine_ids: list[int]
    ) -> HostCluster:
        cluster = self._own_cluster(account, cluster_id)
        joining = [m for m in dict.fromkeys(machine_ids) if m not in cluster.machine_ids]
        for machine_id in joining:
            self._free_machine(machine_id)
        for machine_id in joining:
            self._add_node(cluster, machine_id)
        self._save_cluster(cluster)
        return cluster

    def remove_cluster_machine(
        self,
        account: Account,
        cluster_id: int,
        machine_id: int,
        new_manager_id: int | None,
    ) -> HostCluster:
        cluster = self._own_cluster(account, cluster_id)
        if machine_id not in cluster.machine_ids:
            raise BadRequest(f"Invalid args: machine {machine_id} is not in cluster {cluster_id}")
        if machine_id == cluster.manager_id:
            if new_manager_id is None:
                raise BadRequest(
                    f"Invalid args: machine {machine_id} manages cluster {cluster_id}: name a "
                    "new_manager_id among its other machines (or delete the cluster)"
                )
            if new_manager_id == machine_id or new_manager_id not in cluster.machine_ids:
                raise BadRequest(
                    f"Invalid args: new_manager_id {new_manager_id} must be another machine of "
                    f"cluster {cluster_id}"
                )
            cluster.manager_id = new_manager_id
        cluster.nodes = [n for n in cluster.nodes if n["machine_id"] != machine_id]
        self._save_cluster(cluster)
        return cluster

    def delete_cluster(self, account: Account, cluster_id: int) -> HostCluster:
        cluster = self._own_cluster(account, cluster_id)
        overlays = self._overlays_on(cluster_id)
        if overlays:
            raise BadRequest(
                f"Invalid args: cluster {cluster_id} carries overlay(s) {', '.join(overlays)}: "
                "delete them first"
            )
        cluster.deleted_at = self.now()
        self._save_cluster(cluster)
        return cluster

    def _own_cluster(self, account: Account, cluster_id: int) -> HostCluster:
        cluster = self.host_clusters.get(cluster_id)
        if cluster is None or not cluster.alive or cluster.account != account.digest:
            raise NotFound(f"Cluster {cluster_id} not found", error="no_such_cluster")
        return cluster

    def _free_machine(self, machine_id: int) -> None:
        if machine_id not in self.market.machines:
            raise NotFound(f"Machine {machine_id} does not exist", error="no_such_machine")
        cluster_id = self.cluster_of(machine_id)
        if cluster_id is not None:
            raise BadRequest(
                f"Invalid args: machine {machine_id} is already in cluster {cluster_id}"
            )

    def _add_node(self, cluster: HostCluster, machine_id: int) -> None:
        taken = {node["local_ip"] for node in cluster.nodes}
        free = (str(a) for a in ipaddress.ip_network(cluster.subnet).hosts() if str(a) not in taken)
        address = next(free, None)
        if address is None:
            raise BadRequest(
                f"Invalid args: subnet {cluster.subnet} has no address left for machine "
                f"{machine_id}"
            )
        cluster.nodes.append({"machine_id": machine_id, "local_ip": address})


def _subnet(text: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        network = None
    if not isinstance(network, ipaddress.IPv4Network) or network.prefixlen > 30:
        raise BadRequest(
            f"Invalid args: subnet {text!r:.60} must be an IPv4 network such as "
            "'10.0.0.0/24' (at most /30)"
        )
    return network
