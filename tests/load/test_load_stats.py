"""Reading locust's CSV statistics, by header and failing closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LoadError
from harness.load.stats import read_history, read_stats

# Recorded from a locust 2.47 run, then with the columns shuffled: the reader
# must find every figure by its header.
STATS_CSV = """\
95%,Name,Failure Count,Requests/s,50%,Type,Max Response Time,66%,Request Count,\
Median Response Time,Min Response Time,75%,80%,Average Response Time,90%,98%,99%,\
99.9%,99.99%,100%,Average Content Size,Failures/s
412,/shop/products,0,61.9,180,GET,1036.5,210,1240,180,7.2,230,250,155.3,330,480,\
600,1000,1036,1036,412.0,0.0
N/A,/shop/orders/[id],0,0.0,N/A,GET,0,N/A,0,0,0,N/A,N/A,0.0,N/A,N/A,N/A,N/A,N/A,\
N/A,0.0,0.0
95,/shop/checkout,12,20.1,40,POST,210.0,45,400,40,11.0,50,55,44.5,70,120,150,\
200,210,210,97.0,0.6
390,Aggregated,12,82.0,150,,1036.5,190,1640,150,7.2,210,230,128.2,300,450,580,\
1000,1036,1036,335.5,0.6
"""

HISTORY_CSV = """\
Name,Timestamp,Type,User Count,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,\
99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,\
Total Median Response Time,Total Average Response Time,Total Min Response Time,\
Total Max Response Time,Total Average Content Size
Aggregated,1796398590,,0,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,\
N/A,N/A,0,0,0,0.0,0,0,0
Aggregated,1796398591,,20,80.500000,0.600000,150,190,210,230,300,390,450,580,1000,\
1036,1036,820,6,150,128.2,7.2,1036.5,335.5
"""


def write(prefix: Path, suffix: str, text: str) -> Path:
    path = Path(f"{prefix}{suffix}")
    path.write_text(text.replace("\\\n", ""))
    return path


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    return tmp_path / "run"


def test_stats_are_read_by_header_whatever_the_column_order(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV)

    stats = read_stats(prefix)

    products = stats["GET /shop/products"]
    assert (products.method, products.name) == ("GET", "/shop/products")
    assert (products.requests, products.failures) == (1240, 0)
    assert (products.median, products.avg) == (180.0, 155.3)
    assert (products.min, products.max) == (7.2, 1036.5)
    assert products.rps == 61.9
    assert products.percentiles["95%"] == 412.0
    assert products.percentile(99.9) == 1000.0
    assert list(products.percentiles) == [
        "95%", "50%", "66%", "75%", "80%", "90%", "98%", "99%", "99.9%",
        "99.99%", "100%",
    ]  # fmt: skip


def test_aggregated_row_is_keyed_without_a_method(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV)

    total = read_stats(prefix)["Aggregated"]

    assert total.method == ""
    assert (total.requests, total.failures) == (1640, 12)
    assert total.error_rate == pytest.approx(12 / 1640)
    assert total.percentiles["99%"] == 580.0


def test_request_without_data_has_no_percentiles_or_error_rate(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV)

    idle = read_stats(prefix)["GET /shop/orders/[id]"]

    assert idle.requests == 0
    assert idle.error_rate is None
    assert set(idle.percentiles.values()) == {None}


def test_stats_to_dict_carries_every_figure(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV)

    figures = read_stats(prefix)["POST /shop/checkout"].to_dict()

    assert figures["requests"] == 400
    assert figures["failures"] == 12
    assert figures["error_rate"] == pytest.approx(0.03)
    assert figures["percentiles"]["95%"] == 95.0
    assert {"median", "avg", "min", "max", "rps"} <= set(figures)


def test_missing_stats_file_is_a_load_error(prefix: Path) -> None:
    with pytest.raises(LoadError, match=r"run_stats\.csv: locust wrote no statistics"):
        read_stats(prefix)


@pytest.mark.parametrize("text", ["", "\n"])
def test_empty_stats_file_is_a_load_error(prefix: Path, text: str) -> None:
    write(prefix, "_stats.csv", text)

    with pytest.raises(LoadError, match="empty statistics file"):
        read_stats(prefix)


def test_stats_file_with_only_a_header_is_a_load_error(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV.split("\n", 2)[0] + "\n")

    with pytest.raises(LoadError, match="no rows"):
        read_stats(prefix)


def test_stats_without_an_aggregated_row_is_a_load_error(prefix: Path) -> None:
    header, *rows = STATS_CSV.replace("\\\n", "").strip().splitlines()
    write(prefix, "_stats.csv", "\n".join([header, rows[0]]) + "\n")

    with pytest.raises(LoadError, match="no 'Aggregated' row"):
        read_stats(prefix)


def test_stats_missing_a_column_is_a_load_error(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV.replace("Failure Count", "Fails"))

    with pytest.raises(LoadError, match="no column 'Failure Count'"):
        read_stats(prefix)


def test_stats_with_a_value_that_is_no_number_is_a_load_error(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV.replace(",1240,", ",lots,"))

    with pytest.raises(LoadError, match=r"_stats\.csv:2: Request Count is 'lots'"):
        read_stats(prefix)


def test_truncated_row_is_a_load_error(prefix: Path) -> None:
    write(prefix, "_stats.csv", STATS_CSV.replace("\\\n", "")[:-40] + "\n")

    with pytest.raises(LoadError, match="truncated or corrupt"):
        read_stats(prefix)


def test_history_is_read_by_header(prefix: Path) -> None:
    write(prefix, "_stats_history.csv", HISTORY_CSV)

    first, second = read_history(prefix)

    assert (first.timestamp, first.users, first.requests) == (1796398590, 0, 0)
    assert first.percentiles["95%"] is None
    assert second.key == "Aggregated"
    assert (second.users, second.requests, second.failures) == (20, 820, 6)
    assert second.rps == 80.5
    assert second.percentiles["95%"] == 390.0
    assert second.max == 1036.5


def test_absent_history_reads_as_no_points(prefix: Path) -> None:
    assert read_history(prefix) == []
