"""REFERENCE.md is what puppet-strings makes of the code today (regenerate: `make reference`)."""
from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_reference_md_is_current(tmp_path: Path) -> None:
    dirs = ("manifests", "functions", "types")
    sources = sorted(str(p.relative_to(REPO)) for d in dirs for p in (REPO / d).rglob("*.pp"))
    out = tmp_path / "REFERENCE.md"
    subprocess.run(["puppet", "strings", "generate", "--format", "markdown", "--out", str(out), *sources],
                   cwd=REPO, check=True, capture_output=True, timeout=300)
    assert out.read_text() == (REPO / "REFERENCE.md").read_text(), "REFERENCE.md is stale: run `make reference`"


def test_every_class_parameter_is_documented() -> None:
    init = (REPO / "manifests" / "init.pp").read_text()
    signature = init[init.index("class eucalyptus_cc_gateway ("):init.index(") {")]
    params = [line.split("$")[1].split()[0].rstrip(",") for line in signature.splitlines()[1:] if "$" in line]
    undocumented = [p for p in params if f"# @param {p}\n" not in init]
    assert len(params) >= 40
    assert undocumented == []
