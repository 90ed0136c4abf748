"""The lab's cloud key pair, without Docker: each Lab makes its own, its CLC signs with it, and a
Lab can take over the pair of a lab another process brought up (read back from a running CC)."""
from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from cclab import lab as lab_module
from cclab.cloudkeys import generate
from cclab.lab import CLOUD_CERT, CLOUD_PK, Lab, LabError
from cclab.topology import load


def certificate_of(lab: Lab) -> str:
    assert lab.clc.signer is not None
    return lab.clc.signer.certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def lab() -> Lab:
    return Lab(load(), client=object(), log=lambda _: None)  # type: ignore[arg-type]


def test_each_lab_has_its_own_pair_and_its_clc_signs_with_it(lab: Lab) -> None:
    assert lab.cloud_pk == lab.cloud_keys.private_key_pem
    assert lab.cloud_pk.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert certificate_of(lab) == lab.cloud_keys.certificate_pem
    assert Lab(load(), client=object(), log=lambda _: None).cloud_pk != lab.cloud_pk  # type: ignore[arg-type]


def test_a_lab_takes_over_the_pair_of_the_running_lab(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    running = generate()
    files = {CLOUD_PK: running.private_key_pem, CLOUD_CERT: running.certificate_pem}
    monkeypatch.setattr(lab_module.nodes, "run", lambda client, node, cmd, timeout=None: (0, files[cmd[1]]))
    monkeypatch.setattr(lab, "container_state", lambda node: "running")
    lab.adopt_cloud_keys()
    assert (lab.cloud_pk, certificate_of(lab)) == (running.private_key_pem, running.certificate_pem)


def test_taking_over_fails_clearly_and_never_shows_the_key(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = generate().private_key_pem
    answers: dict[str, Any] = {CLOUD_PK: (1, secret), CLOUD_CERT: (0, "x")}
    monkeypatch.setattr(lab_module.nodes, "run", lambda client, node, cmd, timeout=None: answers[cmd[1]])
    monkeypatch.setattr(lab, "container_state", lambda node: "running")
    with pytest.raises(LabError, match="cannot read the lab's cloud key pair") as failed:
        lab.adopt_cloud_keys()
    assert secret.splitlines()[1] not in str(failed.value)
    monkeypatch.setattr(lab, "container_state", lambda node: "exited")
    with pytest.raises(LabError, match="no CC is running"):
        lab.adopt_cloud_keys()
