"""The simulated CC's state machine: every transition, the self-check, naming, 3.1 versus 3.3."""
from __future__ import annotations

import pytest

from cclab.ccsim.soap import ServiceId, ServiceStatus
from cclab.ccsim.states import CloudView, ClusterController, State, uri_host

S = State
URI = "http://10.231.45.11:8774/axis2/services/EucalyptusCC"
REGISTERED = ServiceId(partition="c1", type="cluster", name="cc1_c1", uris=(URI,))
STOCK_ASK = ServiceId(type="cc", name="self", uris=("http://localhost:8774",))
NODE_ASK = ServiceId(type="node", name="10.231.45.21")
HEALTHY, FAILING = 0, 1
REACHABLE = (S.LOADED, S.DISABLED, S.ENABLED, S.STOPPED, S.NOTREADY, S.SHUTDOWNCC)
OPS = ("StartService", "EnableService", "DisableService", "StopService", "ShutdownService")


def cc_in(state: State, version: str = "3.1") -> ClusterController:
    cc = ClusterController.started(["10.0.0.5", "10.0.1.5"], version)
    cc.state = state
    return cc


def test_a_started_cc_is_loaded_epoch_0_errors_0_named_self_with_one_uri_per_ip() -> None:
    cc = ClusterController.started(["10.0.0.5", "10.0.1.5"])
    assert cc.status() == ServiceStatus(
        service_id=ServiceId(partition="unset", type="cluster", name="self",
                             uris=("http://10.0.0.5:8774/axis2/services/EucalyptusCC",
                                   "http://10.0.1.5:8774/axis2/services/EucalyptusCC")),
        local_state="LOADED", local_epoch=0, details=("ERRORS=0",))
    assert (cc.version, cc.view, cc.cloud_address) == ("3.3", CloudView(), None)


def test_wire_names_hide_shutdowncc_only() -> None:
    assert {state: state.wire for state in State} == {
        S.PRIMORDIAL: "PRIMORDIAL", S.INITIALIZED: "INITIALIZED", S.LOADED: "LOADED",
        S.DISABLED: "DISABLED", S.ENABLED: "ENABLED", S.STOPPED: "STOPPED",
        S.NOTREADY: "NOTREADY", S.SHUTDOWNCC: "NOTREADY"}


# (state before, operation) -> (return, state after), with a passing self-check.
HEALTHY_TABLE = {
    **{(state, "StartService"): (True, S.DISABLED) for state in REACHABLE},
    **{(state, "EnableService"): (True, S.ENABLED) for state in REACHABLE},
    **{(state, "DisableService"): (True, S.DISABLED) for state in REACHABLE},
    **{(state, "StopService"): (True, S.STOPPED) for state in REACHABLE},
    **{(state, "ShutdownService"): (True, S.SHUTDOWNCC) for state in REACHABLE},
    # SHUTDOWNCC is final: everything but ShutdownService fails and nothing changes.
    (S.SHUTDOWNCC, "StartService"): (False, S.SHUTDOWNCC),
    (S.SHUTDOWNCC, "EnableService"): (False, S.SHUTDOWNCC),
    (S.SHUTDOWNCC, "DisableService"): (False, S.SHUTDOWNCC),
    (S.SHUTDOWNCC, "StopService"): (False, S.SHUTDOWNCC),
}


@pytest.mark.parametrize("version", ["3.1", "3.3"])
@pytest.mark.parametrize("before, operation", sorted(HEALTHY_TABLE, key=lambda k: (k[0].value, k[1])))
def test_transitions_with_a_passing_self_check(before: State, operation: str, version: str) -> None:
    cc = cc_in(before, version)
    ok = cc.transition(operation, 3, (), HEALTHY)
    assert (ok, cc.state) == HEALTHY_TABLE[(before, operation)]


@pytest.mark.parametrize("before", REACHABLE)
@pytest.mark.parametrize("operation", OPS)
def test_transitions_fail_while_the_self_check_fails_except_shutdown(before: State, operation: str) -> None:
    cc = cc_in(before)
    ok = cc.transition(operation, 3, (), FAILING)
    if operation == "ShutdownService":
        assert (ok, cc.state) == (True, S.SHUTDOWNCC)
    else:
        assert (ok, cc.state) == (False, before)


def test_a_failing_transition_records_the_failed_check_in_details() -> None:
    cc = cc_in(S.ENABLED)
    assert cc.transition("DisableService", 0, (), FAILING) is False
    assert cc.details == "ERRORS=1"
    assert cc.transition("DisableService", 0, (), HEALTHY) is True
    assert (cc.state, cc.details) == (S.DISABLED, "ERRORS=0")


@pytest.mark.parametrize("before", [S.LOADED, S.DISABLED, S.ENABLED, S.STOPPED, S.NOTREADY])
def test_a_failing_self_check_makes_the_cc_notready(before: State) -> None:
    cc = cc_in(before)
    cc.tick(FAILING)
    assert (cc.state, cc.status().local_state, cc.details) == (S.NOTREADY, "NOTREADY", "ERRORS=1")


@pytest.mark.parametrize("before, after", [
    (S.NOTREADY, S.DISABLED),      # recovery
    (S.LOADED, S.LOADED),          # LOADED waits for StartService
    (S.DISABLED, S.DISABLED), (S.ENABLED, S.ENABLED), (S.STOPPED, S.STOPPED),
])
def test_a_passing_self_check(before: State, after: State) -> None:
    cc = cc_in(before)
    cc.tick(HEALTHY)
    assert (cc.state, cc.details) == (after, "ERRORS=0")


def test_notready_then_recovery_then_enable() -> None:
    cc = cc_in(S.ENABLED)
    cc.tick(FAILING)
    assert cc.state is S.NOTREADY
    assert cc.transition("EnableService", 0, (), FAILING) is False
    cc.tick(HEALTHY)
    assert cc.state is S.DISABLED
    assert cc.transition("EnableService", 0, (), HEALTHY) is True
    assert cc.state is S.ENABLED


def test_shutdown_is_final_and_reported_notready_with_a_failing_check() -> None:
    cc = cc_in(S.ENABLED)
    assert cc.transition("ShutdownService", 0, (), HEALTHY) is True
    for _ in range(3):
        cc.tick(HEALTHY)
        for operation in OPS[:-1]:
            assert cc.transition(operation, 0, (), HEALTHY) is False
    assert cc.transition("ShutdownService", 0, (), HEALTHY) is True
    assert cc.state is S.SHUTDOWNCC
    assert (cc.status().local_state, cc.details) == ("NOTREADY", "ERRORS=1")


def test_first_describe_with_a_cluster_id_adopts_it_until_restart() -> None:
    cc = cc_in(S.DISABLED)
    assert cc.describe(3, (STOCK_ASK,))[0].service_id.name == "self"     # type=cc: no rename
    (status,) = cc.describe(3, (REGISTERED,))
    assert status.service_id == REGISTERED                               # the whole serviceId
    other = ServiceId(partition="c9", type="cluster", name="cc9_c9", uris=("http://10.9.9.9:8774/x",))
    assert cc.describe(3, (other,))[0].service_id == REGISTERED          # only the first time
    assert ClusterController.started(["10.0.0.5"]).service_id.name == "self"


@pytest.mark.parametrize("asked, name", [
    (ServiceId(type="cluster", name="cc1_c1"), "self"),                           # no uri
    (ServiceId(type="cluster", name="cc1_c1", uris=("cc1",)), "self"),            # no host in it
    (ServiceId(type="cluster", name="cc1_c1", uris=("http://h",)), "cc1_c1"),
    (ServiceId(type="node", name="nc1", uris=(URI,)), "self"),
])
def test_renaming_needs_type_cluster_and_a_uri_with_a_host(asked: ServiceId, name: str) -> None:
    cc = cc_in(S.LOADED)
    cc.describe(0, (asked,))
    assert cc.service_id.name == name


def test_adopted_fields_the_clc_left_out_read_null_like_the_c_code() -> None:
    cc = cc_in(S.LOADED)
    cc.describe(0, (ServiceId(type="cluster", name="cc1_c1", uris=(URI,)),))
    assert cc.service_id == ServiceId(partition="(null)", type="cluster", name="cc1_c1", uris=(URI,))


@pytest.mark.parametrize("uri, host", [
    ("http://10.0.0.1:8774/axis2/services/EucalyptusCC", "10.0.0.1"),
    ("http://localhost:8774", "localhost"),
    ("http://cc1/path", "cc1"),
    ("http://cc1", "cc1"),
    ("cc1", ""),
    ("http://", ""),
])
def test_uri_host_follows_tokenize_uri(uri: str, host: str) -> None:
    assert uri_host(uri) == host


def test_version_31_reports_itself_whatever_was_asked_with_epoch_0() -> None:
    cc = cc_in(S.ENABLED, "3.1")
    for asked in [(STOCK_ASK,), (), (NODE_ASK,), (REGISTERED,)]:
        (status,) = cc.describe(9, asked)
        assert (status.local_state, status.local_epoch) == ("ENABLED", 0)
    assert cc.transition("EnableService", 12, (NODE_ASK,), HEALTHY) is True
    assert cc.local_epoch == 0


def test_version_33_reports_only_the_types_asked_for() -> None:
    cc = cc_in(S.ENABLED, "3.3")
    assert cc.describe(3, (STOCK_ASK,)) == ()            # the stock client asks type=cc
    assert cc.describe(3, (NODE_ASK,)) == ()             # no nodes in the simulation
    assert [s.local_state for s in cc.describe(3, ())] == ["ENABLED"]
    assert [s.local_state for s in cc.describe(3, (STOCK_ASK, REGISTERED))] == ["ENABLED"]


def test_version_33_copies_the_epoch() -> None:
    cc = cc_in(S.DISABLED, "3.3")
    assert cc.describe(7, ())[0].local_epoch == 7
    assert cc.describe(5, ())[0].local_epoch == 5          # DescribeServices is authoritative
    assert cc.transition("EnableService", 4, (), HEALTHY) is True
    assert cc.local_epoch == 5                             # a transition never lowers it
    assert cc.transition("DisableService", 8, (), HEALTHY) is True
    assert cc.local_epoch == 8
    assert cc.describe(None, ())[0].local_epoch == 0       # absent epoch reads as 0


def test_version_33_transitions_act_on_the_cluster_only_when_asked() -> None:
    cc = cc_in(S.DISABLED, "3.3")
    assert cc.transition("EnableService", 0, (NODE_ASK,), HEALTHY) is True
    assert cc.state is S.DISABLED                          # about a node: the CC is untouched
    assert cc.transition("EnableService", 0, (NODE_ASK, REGISTERED), HEALTHY) is True
    assert cc.state is S.ENABLED
    assert cc.transition("ShutdownService", 0, (NODE_ASK,), HEALTHY) is True
    assert cc.state is S.SHUTDOWNCC                        # ShutdownService takes no serviceIds


def test_switching_versions() -> None:
    cc = cc_in(S.ENABLED, "3.3")
    cc.describe(6, ())
    cc.set_version("3.1")
    assert (cc.version, cc.local_epoch) == ("3.1", 0)
    with pytest.raises(ValueError, match="unknown CC version '3.2'"):
        cc.set_version("3.2")
    with pytest.raises(ValueError, match="not a transition"):
        cc.transition("DescribeServices", 0, (), HEALTHY)


# --- the CLC's view of the cloud: what every request's service lists do to the CC ---------------

CLC = ServiceId(partition="eucalyptus", type="eucalyptus", name="eucalyptus",
                uris=("http://10.231.46.1:8773/services/Eucalyptus",))
WALRUS = ServiceId(partition="walrus", type="walrus", name="walrus",
                   uris=("http://10.231.46.30:8773/services/Walrus",))
# What CCclient.c sends: 15 empty services, then a dummy of type "eucalyptustype".
STOCK_DUMMY = ServiceId(partition="eucalyptuspart", type="eucalyptustype", name="eucalyptusname",
                        uris=("http://192.168.254.3:8773/services/Eucalyptus",))
STOCK_VIEW = CloudView(services=(ServiceId(partition="", type="", name=""),) * 15 + (STOCK_DUMMY,))
CLC_VIEW = CloudView(services=(CLC, WALRUS), disabled=(REGISTERED,), notready=(NODE_ASK,))


@pytest.mark.parametrize("version", ["3.1", "3.3"])
def test_describe_takes_the_clcs_lists_and_the_cloud_address_from_its_eucalyptus_service(version: str) -> None:
    cc = cc_in(S.DISABLED, version)
    cc.describe(5, (REGISTERED,), CLC_VIEW)
    assert (cc.view, cc.cloud_address) == (CLC_VIEW, "10.231.46.1")


@pytest.mark.parametrize("version", ["3.1", "3.3"])
def test_other_lists_replace_the_ccs_but_only_a_eucalyptus_service_moves_the_cloud_address(version: str) -> None:
    cc = cc_in(S.ENABLED, version)
    cc.describe(5, (REGISTERED,), CLC_VIEW)
    cc.describe(3, (STOCK_ASK,), STOCK_VIEW)      # the stock client: its dummy is not type eucalyptus
    assert (cc.view, cc.cloud_address) == (STOCK_VIEW, "10.231.46.1")
    cc.describe(0, (ServiceId(type="cluster"),))  # a check's question: no lists at all
    assert (cc.view, cc.cloud_address) == (CloudView(), "10.231.46.1")
    moved = CloudView(services=(ServiceId(type="eucalyptus", uris=("http://10.231.46.2:8773/x",)),))
    cc.describe(0, (), moved)
    assert cc.cloud_address == "10.231.46.2"


def test_version_33_transitions_take_the_lists_with_the_epoch_only_when_it_does_not_go_back() -> None:
    cc = cc_in(S.DISABLED, "3.3")
    cc.describe(5, (), CLC_VIEW)
    assert cc.transition("EnableService", 4, (), HEALTHY, STOCK_VIEW) is True
    assert (cc.view, cc.local_epoch) == (CLC_VIEW, 5)                 # an older message: ignored
    assert cc.transition("DisableService", 5, (), HEALTHY, STOCK_VIEW) is True
    assert (cc.view, cc.local_epoch) == (STOCK_VIEW, 5)
    cc.describe(1, (), CLC_VIEW)                                      # DescribeServices: always
    assert (cc.view, cc.local_epoch) == (CLC_VIEW, 1)


def test_version_31_takes_every_requests_lists_and_keeps_epoch_0() -> None:
    cc = cc_in(S.DISABLED, "3.1")
    assert cc.transition("EnableService", 7, (), HEALTHY, CLC_VIEW) is True
    assert (cc.view, cc.cloud_address, cc.local_epoch) == (CLC_VIEW, "10.231.46.1", 0)
    assert cc.transition("DisableService", 2, (), HEALTHY) is True
    assert (cc.view, cc.local_epoch) == (CloudView(), 0)


def test_the_cc_keeps_16_of_each_list_and_reads_the_first_uri_of_the_last_eucalyptus_service() -> None:
    cc = cc_in(S.DISABLED)
    late = CloudView(services=(WALRUS,) * 16 + (CLC,))
    cc.describe(0, (), late)
    assert (len(cc.view.services), cc.cloud_address) == (16, None)
    hostless = ServiceId(type="eucalyptus", uris=("clc", "http://10.0.0.9:8773/"))
    cc.describe(0, (), CloudView(services=(CLC, hostless)))
    assert cc.cloud_address == "10.231.46.1"                          # no host in the first uri
    other = ServiceId(type="eucalyptus", uris=("http://10.0.0.9:8773/",))
    cc.describe(0, (), CloudView(services=(CLC, other)))
    assert cc.cloud_address == "10.0.0.9"
