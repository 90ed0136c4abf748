"""Under CPU saturation the gateway does not move by itself: for each documented profile, the
machine is saturated (stress-ng, bounded in time) and no VIP move may happen that no fault caused.
CCLAB_SOAK_S sets the length (default 300 s per profile)."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from cclab import bench
from cclab.lab import Lab

SOAK_S = int(os.environ.get("CCLAB_SOAK_S", "300"))
PROFILES = ["defaults", "password"]


@pytest.mark.timeout(SOAK_S + 600)
@pytest.mark.parametrize("profile", PROFILES)
def test_no_unprovoked_vip_move_under_cpu_saturation(lab: Lab, profile: str) -> None:
    lab.configure({cc: bench.CONFIGURATIONS[profile] for cc in lab.ccs})
    try:
        holder = lab.restore()
        start = time.time()
        workers = str(2 * (os.cpu_count() or 2))
        # stress-ng stops by itself after SOAK_S; the subprocess timeout is a second fence.
        stress = subprocess.run(["stress-ng", "--cpu", workers, "--timeout", f"{SOAK_S}s", "--quiet"],
                                timeout=SOAK_S + 60, check=False)
        assert stress.returncode == 0
        moves = [e for e in lab.vip_events(start) if e.added]
        print(f"{profile}: {SOAK_S} s of {workers} CPU hogs, VIP moves: {len(moves)}")
        assert moves == [], f"the VIP moved with no fault under load: {moves}"
        assert lab.holders() == [holder] == lab.enabled()
    finally:
        lab.configure()
