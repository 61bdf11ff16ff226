from pulumi_vast.market import describe_offer, rank


def offer(id: int, dph: float, reliability: float = 0.99, dlperf: float | None = 10.0) -> dict:
    return {"id": id, "dph_total": dph, "reliability": reliability, "dlperf": dlperf}


def test_cheapest_first_by_default_order():
    offers = [offer(1, 0.5), offer(2, 0.2), offer(3, 0.3)]
    assert [o["id"] for o in rank(offers, [("dph_total", "asc")])] == [2, 3, 1]


def test_descending_order_and_missing_values_last():
    offers = [offer(1, 0.5, dlperf=None), offer(2, 0.2, dlperf=5), offer(3, 0.3, dlperf=9)]
    assert [o["id"] for o in rank(offers, [("dlperf", "desc")])] == [3, 2, 1]


def test_ties_break_on_reliability_then_id_so_choices_are_repeatable():
    offers = [offer(7, 0.2, 0.95), offer(5, 0.2, 0.99), offer(4, 0.2, 0.99)]
    assert [o["id"] for o in rank(offers, [("dph_total", "asc")])] == [4, 5, 7]
    assert [o["id"] for o in rank(list(reversed(offers)), [("dph_total", "asc")])] == [4, 5, 7]


def test_describe_offer_reads_like_a_sentence():
    text = describe_offer(
        {
            "id": 42,
            "num_gpus": 1,
            "gpu_name": "RTX 3090",
            "gpu_ram": 24576,
            "dph_total": 0.2134,
            "reliability": 0.981,
            "cuda_max_good": 12.4,
            "geolocation": "Texas, US",
        }
    )
    assert text == (
        "1x RTX 3090 24 GB, $0.213/h, reliability 0.981, CUDA 12.4, Texas, US (offer 42)"
    )
