"""Gang placement's choices: which physical cluster takes N nodes, and why none can."""

from __future__ import annotations

import pytest

from pulumi_vast.api import Offer
from pulumi_vast.resources._gang import plan, shortfall
from pulumi_vast.resources._overlay import network_name_for
from pulumi_vast.resources._problems import InvalidInputs
from pulumi_vast.resources.training_cluster import TrainingCluster, torchrun_line


def offer(offer_id: int, cluster_id: int | None, dph: float) -> Offer:
    return Offer(id=offer_id, cluster_id=cluster_id, dph_total=dph)


def test_clusters_with_enough_offers_rank_by_the_total_of_their_cheapest_nodes() -> None:
    offers = [
        offer(1, 701, 1.0),
        offer(2, 701, 1.0),
        offer(3, 702, 0.2),  # cheapest offer, but its cluster's second is dear
        offer(4, 702, 2.5),
        offer(5, 703, 0.1),  # too small a cluster
        offer(6, None, 0.05),  # no cluster at all
        offer(7, 704, 0.9),
        offer(8, 704, 0.9),
        offer(9, 704, 9.0),  # not among the 2 cheapest: not counted
    ]
    plans = plan(offers, 2)
    assert [(p.cluster_id, round(p.total, 3)) for p in plans] == [
        (704, 1.8),
        (701, 2.0),
        (702, 2.7),
    ]
    assert [o.id for o in plans[0].offers] == [7, 8, 9], "the search's order kept"


def test_no_cluster_big_enough_names_the_best_and_how_many_matched() -> None:
    offers = [offer(1, 701, 1.0), offer(2, 701, 1.0), offer(3, 702, 0.5), offer(4, None, 0.1)]
    assert plan(offers, 3) == []
    found = shortfall(offers)
    assert (found.clusters, found.best_cluster, found.matched) == (2, 701, 2)
    assert shortfall([offer(4, None, 0.1)]).best_cluster is None


def test_a_torchrun_line_per_rank_and_overlay_names_from_labels() -> None:
    line = torchrun_line(
        nodes=2, gpus=8, rank=1, master_addr="10.0.0.2", master_port=29500, script="train.py"
    )
    assert line == (
        "NCCL_SOCKET_IFNAME=eth0 torchrun --nnodes=2 --nproc_per_node=8 --node_rank=1 "
        "--master_addr=10.0.0.2 --master_port=29500 train.py"
    )
    assert network_name_for("My Project/dev/llm_train") == "my-project-dev-llm-train"


def test_a_training_clusters_bad_argument_is_named_as_the_program_wrote_it() -> None:
    with pytest.raises(InvalidInputs) as raised:
        TrainingCluster("llm", nodes=0, query="gpu_ram>=24", image="pytorch/pytorch")
    assert str(raised.value) == (
        'TrainingCluster("llm").nodes: got 0 (a number); it must be at least 1, e.g. 2.'
    )
