"""The module's CC client on a lab CC that, like a real 3.3+ CC, demands WS-Security signatures:
its signed request is accepted, an unsigned one and one signed with another key are refused with
the CC's own fault, and, unlike the stock CCclient_full, it leaves no dummy service in the CC's
service lists."""
from __future__ import annotations

import json

import pytest

from cclab import nodes
from cclab.ccsim.soap import DESCRIBE, Message, ServiceId, SoapFaultError
from cclab.ccsim.transport import call
from cclab.clc import PORT
from cclab.lab import Lab

CLIENT = "/usr/local/sbin/eucalyptus-cc-state"
STOCK = "AXIS2C_HOME=/usr/lib/axis2c /opt/cclab/CCclient_full 127.0.0.1:8774 describeServices"
DUMMY = "192.168.254.3"   # the stock client's dummy `eucalyptus` service


def as_script_user(lab: Lab, cc: str, command: str) -> tuple[int, str]:
    return nodes.run(lab.client, cc, ["runuser", "-u", "keepalived_script", "--", "sh", "-c", command], timeout=30)


def services(lab: Lab, cc: str) -> str:
    state = json.loads(nodes.check(lab.client, cc, ["ccsim-ctl", "state", "--json"]))
    return json.dumps(state["services"])


@pytest.mark.parametrize("cc", ["cc1", "cc2"])
def test_the_signed_request_is_accepted(lab: Lab, steady: str, cc: str) -> None:
    code, out = as_script_user(lab, cc, f"{CLIENT} 127.0.0.1:8774")
    assert code == 0, out
    state = "ENABLED" if cc == steady else "DISABLED"
    assert out.startswith(f"localState={state} localEpoch=0 details=ERRORS=0\n\ttype=cluster name={cc}_c1\n"), out


def test_an_unsigned_request_is_refused(lab: Lab, steady: str) -> None:
    address = str(lab.topology.node(steady).addresses[lab.topology.public_network])
    request = Message(DESCRIBE, correlation_id="cclab-unsigned", user_id="eucalyptus", epoch=0,
                      service_ids=(ServiceId(type="cluster"),))
    with pytest.raises(SoapFaultError, match="header cannot be found"):
        call(address, PORT, request, timeout=5)   # no signer


def test_a_request_signed_with_another_key_is_refused(lab: Lab, steady: str) -> None:
    keys = "/run/cclab-other-keys"
    nodes.check(lab.client, steady, f"mkdir -p {keys} && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other "
                "-days 1 -keyout {keys}/cloud-pk.pem -out {keys}/cloud-cert.pem 2>/dev/null "
                f"&& chown -R keepalived_script {keys}".replace("{keys}", keys))
    try:
        code, out = as_script_user(lab, steady, f"{CLIENT} --keys-dir {keys} 127.0.0.1:8774")
    finally:
        nodes.check(lab.client, steady, ["rm", "-rf", keys])
    assert code == 1
    assert out.strip().startswith("eucalyptus-cc-state: SOAP fault") and "The certificate specified is invalid!" in out


def test_the_stock_client_leaves_its_dummy_service_and_ours_does_not(lab: Lab, steady: str) -> None:
    """On the backup, with what polls its CC stopped (the watcher, or keepalived's check): each of
    their requests would replace the lists, ten times a second or every second."""
    backup = lab.peer(steady)
    pollers = f"keepalived {lab.watcher_unit(backup)}" if lab.timing().watcher else "keepalived"
    nodes.check(lab.client, backup, f"systemctl stop {pollers}")
    try:
        nodes.check(lab.client, backup, STOCK)
        assert DUMMY in services(lab, backup), "the stock client's dummy service did not land in the CC's lists"
        code, out = as_script_user(lab, backup, f"{CLIENT} 127.0.0.1:8774")
        assert code == 0, out
        assert services(lab, backup) == "[]", "the module's client should leave the lists empty (it sends none)"
    finally:
        nodes.check(lab.client, backup, f"systemctl start {pollers}")
