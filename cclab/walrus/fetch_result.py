"""Read cclab-fetch's output: its resume lines and the JSON summary it ends with."""
from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class FetchResult:
    bytes: int
    resumes: int
    sha256_ok: bool
    seconds: float
    error: str | None
    resumed: tuple[str, ...]  # the `resumed at <bytes> after <error>` lines

    @property
    def ok(self) -> bool:
        return self.sha256_ok and self.error is None


class FetchOutputError(ValueError):
    """The output has no summary line: the fetch is still running, or died before the end."""


def parse(stdout: str) -> FetchResult:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines or not lines[-1].startswith("{"):
        tail = lines[-1] if lines else "(no output)"
        raise FetchOutputError(f"cclab-fetch printed no summary yet; last line: {tail}")
    try:
        summary = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise FetchOutputError(f"cclab-fetch summary is not JSON: {lines[-1]!r}") from exc
    return FetchResult(
        bytes=int(summary["bytes"]), resumes=int(summary["resumes"]), sha256_ok=bool(summary["sha256_ok"]),
        seconds=float(summary["seconds"]), error=summary.get("error"),
        resumed=tuple(line for line in lines[:-1] if line.startswith("resumed at ")),
    )
