"""The VIP follows the ENABLED CC: planned switches, lost nodes, rejoining nodes, no flapping.

Times come from the CCs' own address events (kernel-reported, node-timestamped); bounds come
from the module parameters in force, plus a generous margin for this shared machine.
"""
from __future__ import annotations

import time

from cclab import nodes
from cclab.lab import Lab
from cclab.timing import MARGIN_S


def test_exactly_one_holder_and_it_is_the_enabled_cc(lab: Lab, steady: str) -> None:
    assert lab.holders() == [steady]
    assert lab.enabled() == [steady]
    assert lab.clc.state(steady) == "ENABLED"


def test_a_clc_switch_moves_the_vip_to_the_newly_enabled_cc(lab: Lab, steady: str) -> None:
    bound = lab.timing().switch + MARGIN_S
    switch = lab.clc.switch()
    assert (switch.from_node, switch.to_node) == (steady, lab.peer(steady))
    added = lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=bound)
    assert added.at - switch.enabled_at < bound
    assert lab.wait_steady().holder == switch.to_node
    removed = [e for e in lab.vip_events(switch.disabled_at) if e.node == steady and not e.added]
    assert removed, "the old holder never dropped the VIP"


def test_switching_back_and_forth_keeps_one_holder(lab: Lab, steady: str) -> None:
    for _ in range(3):
        switch = lab.clc.switch()
        lab.wait_for_vip(switch.to_node, since=switch.disabled_at, timeout=lab.timing().switch + MARGIN_S)
        assert lab.wait_steady().holder == switch.to_node


def test_keepalived_stopped_on_the_holder_moves_the_vip(lab: Lab, steady: str) -> None:
    survivor = lab.peer(steady)
    at = time.time()
    nodes.check(lab.client, steady, "systemctl stop keepalived")
    added = lab.wait_for_vip(survivor, since=at, timeout=lab.timing().master_down + MARGIN_S)
    assert added.at - at < lab.timing().master_down + MARGIN_S
    assert not lab.holds_vip(steady)


def test_holder_killed_the_survivor_takes_the_vip_and_the_cc_rejoins_without_taking_it_back(
        lab: Lab, steady: str) -> None:
    survivor = lab.peer(steady)
    killed_at = time.time()
    nodes.kill(lab.client, steady)
    added = lab.wait_for_vip(survivor, since=killed_at, timeout=lab.timing().master_down + MARGIN_S)
    assert added.at - killed_at < lab.timing().master_down + MARGIN_S

    assert lab.clc.converge() == survivor          # the CLC enables the surviving CC
    assert lab.wait_steady().holder == survivor

    restarted_at = time.time()
    nodes.start(lab.client, steady)
    assert lab.cc_state(steady) == "LOADED"         # a restarted CC comes back LOADED
    lab.clc.converge()
    assert lab.cc_state(steady) == "DISABLED"       # ... and the CLC's StartService makes it DISABLED
    time.sleep(lab.timing().switch + 2)               # long enough for it to try and take the VIP
    assert [e.node for e in lab.vip_events(restarted_at) if e.added] == []
    assert lab.wait_steady().holder == survivor


def test_both_ccs_disabled_one_holder_and_no_move_for_10_s(lab: Lab, steady: str) -> None:
    lab.clc.disable(steady)
    at = time.time()
    assert lab.enabled() == []
    while time.time() - at < 10:
        assert lab.holders() == [steady]
        time.sleep(0.5)
    assert [e for e in lab.vip_events(at)] == []
