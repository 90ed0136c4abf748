"""The benchmark's figures from address events (cclab.cycle, cclab.bench): time with two holders, percentiles,
and the markdown table with the article / module ratio."""
from __future__ import annotations

import pytest

from cclab import bench
from cclab.cycle import Cycle, two_holders
from cclab.events import AddressEvent

CCS = ["cc1", "cc2"]


def added(node: str, at: float) -> AddressEvent:
    return AddressEvent(node, at, True, "10.231.45.50", "eth0")


def removed(node: str, at: float) -> AddressEvent:
    return AddressEvent(node, at, False, "10.231.45.50", "eth0")


def test_a_clean_handover_has_no_two_holders() -> None:
    events = [removed("cc1", 5.0), added("cc2", 5.1)]
    assert two_holders(events, CCS, 0.0, 10.0, "cc1") == 0.0


def test_overlap_is_counted() -> None:
    events = [added("cc2", 5.0), removed("cc1", 5.4)]
    assert two_holders(events, CCS, 0.0, 10.0, "cc1") == pytest.approx(0.4)


def test_a_killed_holder_drops_its_vip_without_an_event() -> None:
    events = [added("cc2", 3.0)]
    assert two_holders(events, CCS, 0.0, 10.0, "cc1", gone={"cc1": 2.0}) == 0.0
    assert two_holders(events, CCS, 0.0, 10.0, "cc1") == pytest.approx(7.0)   # as if it never died


def test_a_paused_holder_still_holds() -> None:
    """A paused container's processes are frozen, its kernel is not: it keeps answering ARP for
    the VIP and forwarding, so its VIP counts until keepalived, thawed, removes it."""
    events = [added("cc2", 3.0), removed("cc1", 8.2)]
    assert two_holders(events, CCS, 0.0, 10.0, "cc1") == pytest.approx(5.2)


def test_the_window_bounds_the_count() -> None:
    events = [added("cc2", 5.0)]
    assert two_holders(events, CCS, 6.0, 9.0, "cc1") == pytest.approx(3.0)


def test_percentile_picks_a_measured_value() -> None:
    values = [float(v) for v in range(1, 11)]
    assert bench.percentile(values, 0.95) == 10.0
    assert bench.percentile(values, 0.0) == 1.0
    assert bench.percentile([0.7], 0.95) == 0.7


def cycle(configuration: str, takeover: float) -> Cycle:
    return Cycle(configuration, "planned switch", 0, "cc1", "cc2", 0.0,
                       takeover_s=takeover, outage_s=0.1, two_holders_s=0.0, steady_s=takeover + 0.5)


def test_the_table_shows_each_configuration_and_the_ratio() -> None:
    results = [cycle("article", 6.0), cycle("article", 7.0), cycle("defaults", 0.5), cycle("defaults", 0.9)]
    text = bench.markdown(bench.summary(results))
    assert "#### planned switch" in text
    assert "| article | 2 | 6.50 / – / 7.00 | – |" in text   # no p95 from 2 cycles; no check figure measured
    assert "| defaults | 2 | 0.70 / – / 0.90 |" in text
    assert "**9.3x**" in text
    assert "p95 only from 20 cycles on" in text


def test_p95_is_reported_from_20_cycles_on_and_is_then_not_the_maximum() -> None:
    results = [cycle("defaults", 0.01 * i) for i in range(1, 21)]
    spread = bench.summary(results)["planned switch"]["defaults"]["takeover_s"]
    assert (spread["p95"], spread["max"], spread["n"]) == (pytest.approx(0.19), pytest.approx(0.2), 20)
    assert "p95" not in bench.spread([0.1] * 19)


def test_make_bench_runs_at_least_30_planned_switches() -> None:
    assert bench.full_cycles(10) == {s: 30 if s == "planned switch" else 10 for s in bench.SCENARIOS}
    assert bench.full_cycles(40)["planned switch"] == 40

