"""Read cclab-probe's log (`<epoch start> <epoch end> ok|fail <detail>` per line) into outages.

An outage is a run of failed probes, in start order, between two successful ones (or the log's
edges). It `began` when its first failed probe started and `ended` when the next successful probe
started, so its length is right to within the probe interval.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    start: float
    end: float
    ok: bool
    detail: str


@dataclass(frozen=True)
class Outage:
    began: float
    ended: float | None  # None: still failing when the log ends
    failed: int          # probes that failed in it
    first_error: str

    @property
    def seconds(self) -> float | None:
        return None if self.ended is None else self.ended - self.began


def parse(text: str) -> list[Probe]:
    """The probes in start order; a torn last line (log read while written) is skipped."""
    probes = []
    for line in text.splitlines():
        fields = line.split(" ", 3)
        if len(fields) < 3 or fields[2] not in ("ok", "fail"):
            continue
        try:
            start, end = float(fields[0]), float(fields[1])
        except ValueError:
            continue
        probes.append(Probe(start, end, fields[2] == "ok", fields[3] if len(fields) > 3 else ""))
    return sorted(probes, key=lambda p: p.start)


def outages(probes: list[Probe]) -> list[Outage]:
    """Every run of failures, in order."""
    found: list[Outage] = []
    run: list[Probe] = []
    for probe in sorted(probes, key=lambda p: p.start):
        if not probe.ok:
            run.append(probe)
            continue
        if run:
            found.append(Outage(run[0].start, probe.start, len(run), run[0].detail))
            run = []
    if run:
        found.append(Outage(run[0].start, None, len(run), run[0].detail))
    return found
