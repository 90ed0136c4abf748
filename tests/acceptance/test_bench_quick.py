"""The benchmark's quick mode (2 cycles of every scenario, module defaults) runs in `make test`
so that it cannot rot; it checks only that the figures were produced and are sane."""
from __future__ import annotations

import json
import math
from pathlib import Path

from cclab import bench
from cclab.lab import Lab
from cclab.timing import Timing


def test_quick_benchmark_produces_sane_figures(lab: Lab, steady: str, tmp_path: Path) -> None:
    results = bench.run(lab, 2, ["defaults"], list(bench.SCENARIOS), print)
    bench.write(results, tmp_path)
    assert len(results) == 2 * len(bench.SCENARIOS)
    worst = Timing.of(lab.topology.module_params(steady)).switch + bench.STEADY_MARGIN_S
    for cycle in results:
        for value in (cycle.takeover_s, cycle.outage_s, cycle.two_holders_s, cycle.steady_s):
            assert math.isfinite(value) and 0 <= value < worst + 30, (cycle.scenario, value)
        assert cycle.new_holder != cycle.old_holder
        if cycle.scenario in bench.CHECK_BOUND:   # a check moves the VIP there
            assert cycle.check_s is not None, f"{cycle.scenario}: the new holder's priority never rose"
        assert len(cycle.probes) > 10 and cycle.events
    report = json.loads((tmp_path / "bench.json").read_text())
    assert set(report["summary"]) == set(bench.SCENARIOS)
    assert "| defaults | 2 |" in (tmp_path / "bench.md").read_text()
    assert len(list(tmp_path.glob("timeline-*.png"))) == len(bench.SCENARIOS)
