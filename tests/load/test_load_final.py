"""Reading locust's final JSON statistics (recorded from a real run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LoadError
from harness.load.final import read_final_stats
from harness.load.stats import histogram_percentile, read_stats

DATA = Path(__file__).parent / "data"


def test_final_stats_hold_more_requests_than_the_csv_snapshot() -> None:
    final = read_final_stats(DATA / "shop_final.json")
    snapshot = read_stats(DATA / "shop")

    assert final["Aggregated"].requests == 232
    assert snapshot["Aggregated"].requests == 163  # missed the last second
    assert final["GET /checkout"].failures == 18


def test_aggregate_merges_every_request_name() -> None:
    stats = read_final_stats(DATA / "shop_final.json")
    total = stats["Aggregated"]

    assert total.requests == sum(
        e.requests for k, e in stats.items() if k != "Aggregated"
    )
    assert total.max == stats["GET /products"].max
    assert total.min == stats["GET /checkout"].min
    assert total.error_rate == pytest.approx(18 / 232)


def test_percentiles_come_from_the_buckets_like_locusts() -> None:
    stats = read_final_stats(DATA / "shop_final.json")
    products = stats["GET /products"]

    assert products.percentiles["95%"] == 45.0
    assert products.median == 42.0
    # Any percentile, not only the reported columns.
    assert products.percentile(97) == 46.0


def test_few_samples_make_the_high_percentile_the_maximum_bucket() -> None:
    # 10 requests: p95 and p99 are both the slowest one's bucket.
    histogram = {10: 9, 250: 1}

    assert histogram_percentile(histogram, 10, 95) == 250.0
    assert histogram_percentile(histogram, 10, 50) == 10.0


def test_missing_or_corrupt_final_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="locust wrote no final statistics"):
        read_final_stats(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('[{"name": "/x"}]')
    with pytest.raises(LoadError, match="unreadable locust statistics"):
        read_final_stats(tmp_path / "bad.json")


def test_run_with_no_requests_has_an_empty_aggregate(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("[]")

    stats = read_final_stats(tmp_path / "empty.json")

    assert stats["Aggregated"].requests == 0
    assert stats["Aggregated"].percentiles["95%"] is None
