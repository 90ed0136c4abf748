"""The fault matrix's report: per fault, how many repetitions, how many ended in the steady
state, and how long recovery took (p50 and max), as reports/faults.json and reports/faults.md.

Rewritten after every fault, so that an interrupted run still leaves what it measured.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cclab.lab import REPORTS


@dataclass(frozen=True)
class Run:
    """One repetition: did it end in the steady state, and how long did it take to get there."""

    repetition: int
    ok: bool
    recovery_s: float | None = None   # from the fault or the heal (host clock) to the steady state
    vip_s: float | None = None        # to the VIP's last move (node clock), when it moved
    error: str = ""


@dataclass
class FaultResult:
    fault: str
    expected: str                     # the outcome the test asserts, in one line
    measured_from: str                # "fault" or "heal": where the recovery clock starts
    runs: list[Run] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(run.ok for run in self.runs)

    @property
    def outcome(self) -> str:
        return "pass" if self.runs and self.passed == len(self.runs) else f"FAIL ({len(self.runs) - self.passed})"

    def stats(self, attribute: str) -> tuple[float | None, float | None]:
        """p50 and max of a timing over the repetitions that passed."""
        values = [v for run in self.runs if run.ok and (v := getattr(run, attribute)) is not None]
        return (statistics.median(values), max(values)) if values else (None, None)

    def summary(self) -> dict[str, object]:
        p50, worst = self.stats("recovery_s")
        vip_p50, vip_max = self.stats("vip_s")
        return {"fault": self.fault, "expected": self.expected, "repetitions": len(self.runs),
                "passed": self.passed, "outcome": self.outcome, "measured_from": self.measured_from,
                "recovery_p50_s": p50, "recovery_max_s": worst, "vip_p50_s": vip_p50, "vip_max_s": vip_max,
                "runs": [asdict(run) for run in self.runs]}


class Report:
    """Every fault run in this session, in the order run."""

    def __init__(self, directory: Path = REPORTS) -> None:
        self.directory = directory
        self.results: dict[str, FaultResult] = {}

    def add(self, result: FaultResult) -> None:
        self.results[result.fault] = result
        self.write()

    def write(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        summaries = [r.summary() for r in self.results.values()]
        (self.directory / "faults.json").write_text(json.dumps(summaries, indent=2) + "\n")
        (self.directory / "faults.md").write_text(markdown(summaries))


def seconds(value: object) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(summaries: list[dict[str, object]]) -> str:
    lines = ["| fault | repetitions | outcome | recovery p50 (s) | recovery max (s) | VIP moved p50/max (s) "
             "| clock from | expected |",
             "|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        vip = "-" if s["vip_p50_s"] is None else f"{seconds(s['vip_p50_s'])} / {seconds(s['vip_max_s'])}"
        lines.append(f"| {s['fault']} | {s['repetitions']} | {s['outcome']} | {seconds(s['recovery_p50_s'])} "
                     f"| {seconds(s['recovery_max_s'])} | {vip} | {s['measured_from']} | {s['expected']} |")
    return "\n".join(lines) + "\n"


REPORT = Report()
