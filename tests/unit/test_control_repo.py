"""The control repository the fleet's server serves: its Hiera data is the fleet's parameters,
agrees with cclab/fleet.yaml, and its secrets never come from the repository."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cclab import control_repo
from cclab.topology import FLEET_PATH, TopologyError, load


def test_each_cluster_reads_common_data_then_its_own() -> None:
    assert control_repo.cluster_data("c1") == {"manage_gateway": True, "vip": "10.231.60.50",
                                               "virtual_router_id": 61, "nc_network": "10.231.60.0/24"}
    c3 = control_repo.cluster_data("c3")
    assert c3["cluster_addresses"] == ["10.231.61.11", "10.231.61.12"]
    assert (c3["vrrp_version"], c3["advert_int"]) == (2, 1)


def test_the_fleet_takes_its_module_parameters_from_the_hiera_data() -> None:
    fleet = control_repo.with_hiera(load(FLEET_PATH))
    assert fleet.module_params("c2-cc1") == {"manage_gateway": True, "virtual_router_id": 62,
                                             "nc_network": "10.231.60.0/24", "vip": "10.231.60.60",
                                             "check_method": "script"}


def test_a_vip_that_differs_from_the_data_is_refused(tmp_path: Path) -> None:
    environment = tmp_path / "production"
    (environment / "data" / "clusters").mkdir(parents=True)
    for name in ("c1", "c2", "c3"):
        data = {f"{control_repo.PREFIX}{k}": v for k, v in control_repo.cluster_data(name).items()}
        (environment / "data" / "clusters" / f"{name}.yaml").write_text(yaml.safe_dump(data))
    control_repo.with_hiera(load(FLEET_PATH), environment)
    (environment / "data" / "clusters" / "c2.yaml").write_text(yaml.safe_dump(
        {"eucalyptus_cc_gateway::vip": "10.231.60.70", "eucalyptus_cc_gateway::virtual_router_id": 62}))
    with pytest.raises(TopologyError, match=r"^cluster 'c2': vip 10.231.60.60 in the topology, 10.231.60.70 in "):
        control_repo.with_hiera(load(FLEET_PATH), environment)
    (environment / "data" / "clusters" / "c2.yaml").write_text(yaml.safe_dump(
        {"eucalyptus_cc_gateway::vip": "10.231.60.60", "eucalyptus_cc_gateway::virtual_router_id": 61}))
    with pytest.raises(TopologyError, match="virtual_router_id 61 is already cluster 'c1''s on network 'shared'"):
        control_repo.with_hiera(load(FLEET_PATH), environment)


def test_secrets_go_to_the_secrets_layer_and_stay_out_of_the_repository() -> None:
    files = control_repo.secret_files("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                                      {"c3": "abcd1234"})
    assert yaml.safe_load(files["secrets/common.yaml"]) == {
        "eucalyptus_cc_gateway::cloud_pk": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}
    assert yaml.safe_load(files["secrets/clusters/c3.yaml"]) == {"eucalyptus_cc_gateway::auth_pass": "abcd1234"}
    hiera = yaml.safe_load((control_repo.ENVIRONMENT / "hiera.yaml").read_text())
    assert hiera["hierarchy"][0]["datadir"] == "secrets"
    assert "/secrets/" in (control_repo.ENVIRONMENT / ".gitignore").read_text().split()
    assert not (control_repo.ENVIRONMENT / "secrets").exists()


def test_passwords_are_new_each_time_and_fit_vrrp() -> None:
    made = {control_repo.password() for _ in range(20)}
    assert len(made) == 20
    assert all(len(p) == 8 and p.isalnum() for p in made)
