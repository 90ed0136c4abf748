"""The injectable faults and their one-line text form, as written in `<state-dir>/fault`.

    hang           accept connections, answer nothing until the fault is cleared
    refuse         close the listening socket (connection refused); listen again once cleared
    slow SECONDS   delay every answer by SECONDS (a decimal number, 0 to 3600)
    garbage        answer 200 with a body that is not XML
    notready       the CC's self-check fails: NOTREADY within a second, transitions return false

An empty (or absent) file, or the word `clear`, means no fault. One fault at a time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

KINDS = ("hang", "refuse", "slow", "garbage", "notready")
MAX_SLOW_SECONDS = 3600.0


class FaultSpecError(ValueError):
    """A fault line that does not parse; the message is one line."""


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    seconds: float = 0.0      # only for `slow`

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault {self.kind!r} (expected one of {', '.join(KINDS)}, clear)")
        if self.kind == "slow" and not (math.isfinite(self.seconds) and 0 <= self.seconds <= MAX_SLOW_SECONDS):
            raise FaultSpecError(f"slow needs SECONDS between 0 and {MAX_SLOW_SECONDS:g}, not {self.seconds!r}")

    def __str__(self) -> str:
        return f"slow {self.seconds:g}" if self.kind == "slow" else self.kind


def parse_fault(text: str) -> FaultSpec | None:
    """The fault a control line names, None for no fault; FaultSpecError if it is malformed."""
    words = text.split()
    if not words or words == ["clear"]:
        return None
    kind, args = words[0], words[1:]
    if kind == "slow":
        if len(args) != 1:
            raise FaultSpecError("slow needs exactly one argument, SECONDS")
        try:
            seconds = float(args[0])
        except ValueError:
            raise FaultSpecError(f"slow needs a number of seconds, not {args[0]!r}") from None
        return FaultSpec("slow", seconds)
    if args:
        raise FaultSpecError(f"{kind} takes no argument")
    return FaultSpec(kind)


def format_fault(fault: FaultSpec | None) -> str:
    """The control-file line for `fault` ("" for none); parse_fault() reads it back."""
    return "" if fault is None else str(fault)
