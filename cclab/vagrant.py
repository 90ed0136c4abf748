"""The Vagrant lab (the top-level Vagrantfile, docker provider): the host's part of it.

Vagrant cannot build the lab's images nor make networks the way the lab needs them, so the
Vagrantfile's triggers call `python -m cclab vagrant prepare` before a machine comes up and
`python -m cclab vagrant clean` after one is destroyed. VagrantLab is the same Lab with its
nodes made by `vagrant up`: the VIP and gateway suites run against it unchanged (the others
change the module's parameters, which this lab takes from its Hiera data only).
"""
from __future__ import annotations

import fcntl
import ipaddress
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import docker
import yaml

from cclab import cloudkeys, images, nodes, puppet
from cclab.ccsim.wssec import Signer
from cclab.clc import Clc
from cclab.engine import LABEL_FILTER, LABEL_KEY, docker_name
from cclab.lab import REPO, REPORTS, Lab, LabError, Overrides
from cclab.topology import Topology
from cclab.waiting import WaitTimeout, wait_until

Log = Callable[[str], None]

ENVIRONMENT = REPO / "vagrant" / "environments" / "lab"   # the puppet provisioner's environment
SECRETS = ENVIRONMENT / "secrets"                          # made here, ignored by git
CLOUD_SECRETS = SECRETS / "cloud.yaml"
# Vagrant's way in to each container (SSH, published on the host's loopback): the docker
# provider cannot publish a port from an internal network, so this one is fenced instead.
MANAGEMENT = "vagrant"
MANAGEMENT_SUBNET = "10.231.47.0/24"
MANAGEMENT_GATEWAY = str(ipaddress.ip_network(MANAGEMENT_SUBNET)[1])   # .1, as on every lab network
# What the Vagrantfile marks its containers with, besides cclab=1.
VAGRANT_LABEL = f"{LABEL_KEY}.vagrant"
BOX_ROLES = ("cc", "nc", "walrus")
CLOUD_CERT_KEY = "cclab::cloud_cert"
CLOUD_PK_KEY = "eucalyptus_cc_gateway::cloud_pk"
ANSWER_TIMEOUT_S = 120.0   # how long the CLC waits for both CCs to answer before it elects
UP_TIMEOUT_S = 600.0
DESTROY_TIMEOUT_S = 120.0


class VagrantError(LabError):
    """`vagrant` failed, or the host is not ready for the Vagrant lab."""


def box(role: str) -> str:
    """The image the Vagrantfile runs for a role (a lab image with SSH and the vagrant user)."""
    return f"cclab/vagrant-{role}:latest"


def prepare(client: docker.DockerClient, topology: Topology, log: Log = print) -> None:
    """Everything `vagrant up` needs on this host; safe to run again and from parallel triggers."""
    with _locked(REPO / ".vagrant" / "cclab-prepare.lock"):
        _refuse_a_cclab_lab(client)
        build_boxes(client, log)
        make_networks(client, topology, log)
        write_secrets(log)


def build_boxes(client: docker.DockerClient, log: Log = print,
                built: Mapping[str, images.Image] | None = None) -> None:
    """The lab's role images (`built`, else built here) with the Vagrant layer on top, tagged box(role)."""
    built = built or images.build_all(client, log, roles=BOX_ROLES)
    for role in BOX_ROLES:
        layer = images.build(client, "vagrant", built[role], log, extras={})
        repository, _, tag = box(role).partition(":")
        client.images.get(layer.tag).tag(repository, tag)


def make_networks(client: docker.DockerClient, topology: Topology, log: Log = print) -> None:
    """The topology's networks (internal, as the lab makes them) and the management network."""
    wanted = [(n.name, str(n.subnet), str(n.gateway), True) for n in topology.networks]
    wanted.append((MANAGEMENT, MANAGEMENT_SUBNET, MANAGEMENT_GATEWAY, False))
    existing = {n.name: n for n in client.networks.list(filters={"label": LABEL_FILTER})}
    for name, subnet, gateway, internal in wanted:
        if docker_name(name) in existing:
            nodes.guard_network(existing[docker_name(name)])
            continue
        nodes.create_network(client, name, subnet, gateway, internal=internal, labels={VAGRANT_LABEL: "1"})
        log(f"network {docker_name(name)} {subnet}" + ("" if internal else " (fenced: SSH from this host only)"))


def write_secrets(log: Log = print) -> None:
    """A cloud key pair for the lab, as Hiera data of the puppet provisioner's environment: the
    module's `cloud_pk` and the certificate each CC checks the CLC's signatures with (0600).
    Made once per lab (`clean` removes it with the lab's last container)."""
    with _locked(REPO / ".vagrant" / "cclab-secrets.lock"):
        if CLOUD_SECRETS.exists():
            return
        keys = cloudkeys.generate()
        SECRETS.mkdir(mode=0o700, exist_ok=True)
        data = {CLOUD_PK_KEY: keys.private_key_pem, CLOUD_CERT_KEY: keys.certificate_pem}
        descriptor, temporary = tempfile.mkstemp(dir=SECRETS, prefix=".cloud.")   # 0600
        with os.fdopen(descriptor, "w") as out:
            yaml.safe_dump(data, out, default_style="|")
        os.replace(temporary, CLOUD_SECRETS)     # whole or not at all
    log(f"wrote the lab's cloud key pair to {CLOUD_SECRETS} (0600, ignored by git)")


def read_secrets() -> cloudkeys.CloudKeys:
    try:
        data = yaml.safe_load(CLOUD_SECRETS.read_text())
        return cloudkeys.CloudKeys(data[CLOUD_CERT_KEY], data[CLOUD_PK_KEY])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        raise VagrantError(f"no cloud key pair in {CLOUD_SECRETS}: `vagrant up` makes it") from None


def clc(topology: Topology) -> Clc:
    """The CLC of the Vagrant lab's cluster, signing with the lab's cloud key pair; it reaches the
    CCs at their public addresses over SOAP, whatever the provider."""
    cluster = topology.clusters[0]
    keys = read_secrets()
    return Clc({cc.name: str(cc.addresses[topology.public_network]) for cc in topology.by_role("cc", cluster.name)},
               cluster.name, signer=Signer.from_pem(keys.private_key_pem, keys.certificate_pem))


def elect(topology: Topology, log: Log = print, timeout: float = ANSWER_TIMEOUT_S) -> str:
    """What the CLC does once its CCs are registered: start them and enable one (the first, when
    both answer). Run after each CC's `vagrant up`; a second run finds the choice made."""
    with _locked(REPO / ".vagrant" / "cclab-clc.lock"):
        the_clc = clc(topology)
        try:
            wait_until(lambda: "UNREACHABLE" not in map(the_clc.state, the_clc.addresses), timeout,
                       "both CCs answering", interval=1.0)
        except WaitTimeout:
            log(f"CLC: {', '.join(n for n in the_clc.addresses if the_clc.state(n) == 'UNREACHABLE')} "
                "does not answer: enabling among the CCs that do")
        enabled = the_clc.converge(prefer=next(iter(the_clc.addresses)))
        log(f"CLC: {enabled} is ENABLED in partition {the_clc.partition}")
        return enabled


def switch(topology: Topology, log: Log = print) -> str:
    """A planned switch by the CLC: disable the ENABLED CC, enable the other."""
    done = clc(topology).switch()
    log(f"CLC: disabled {done.from_node}, enabled {done.to_node}")
    return done.to_node


def clean(client: docker.DockerClient, log: Log = print) -> None:
    """After `vagrant destroy`: once no lab container is left, the networks, host rules and the
    lab's cloud key pair go too (the next lab makes its own)."""
    left = client.containers.list(all=True, filters={"label": LABEL_FILTER})
    if left:
        log(f"keeping the lab's networks: {', '.join(c.name for c in left)} still there")
        return
    nodes.remove_all(client, log)
    CLOUD_SECRETS.unlink(missing_ok=True)


def _refuse_a_cclab_lab(client: docker.DockerClient) -> None:
    """The Vagrant lab and `python -m cclab up` use the same names: one of them at a time."""
    theirs = [c.name for c in client.containers.list(all=True, filters={"label": LABEL_FILTER})
              if VAGRANT_LABEL not in c.labels]
    if theirs:
        raise VagrantError(f"a cclab lab is running ({', '.join(theirs)}): `python -m cclab down` first")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ssh_config() -> str:
    """`vagrant ssh-config` for every machine: how testinfra (or ssh) gets in as `vagrant ssh` does."""
    done = subprocess.run(["vagrant", "ssh-config"], cwd=REPO, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise VagrantError(f"`vagrant ssh-config` exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def refuse(overrides: Overrides) -> None:
    if overrides:
        raise VagrantError("the Vagrant lab takes its parameters from its Hiera data, not overrides")


class VagrantLab(Lab):
    """The one-cluster lab brought up and destroyed by Vagrant (docker provider)."""

    def __init__(self, topology: Topology, client: docker.DockerClient | None = None, log: Log = print,
                 cluster: str | None = None, keys: cloudkeys.CloudKeys | None = None) -> None:
        super().__init__(topology, client, log, cluster, keys)
        self.output: list[str] = []          # every line Vagrant printed, for the secrets test
        self.took: dict[str, float] = {}      # "up", "destroy": seconds

    def up(self, overrides: Overrides = None) -> None:
        """`vagrant up` and the CLC's election; what a failed bring-up made is destroyed."""
        refuse(overrides)
        start = time.monotonic()
        nodes.remove_all(self.client, self.log)      # what an earlier lab left (label cclab=1)
        try:
            self.vagrant("up", "--provider=docker", timeout=UP_TIMEOUT_S)
            self.took["up"] = time.monotonic() - start
            self.log(f"vagrant up: done in {self.took['up']:.1f} s")
            self.use_cloud_keys(read_secrets())
            self.elect(start)
        except BaseException:
            self.log("the Vagrant lab did not come up: destroying what it made")
            self.destroy()
            raise

    def configure(self, overrides: Overrides = None) -> dict[str, tuple[puppet.Apply, puppet.Apply]]:
        """Puppet again on both CCs, the way this lab applies it: `vagrant provision` (the module's
        provisioner). The runs' output is Vagrant's, shown as progress; none is returned."""
        refuse(overrides)
        self.vagrant("provision", *self.ccs, "--provision-with", "module", timeout=UP_TIMEOUT_S)
        return {}

    def down(self) -> None:
        """Keep the CCs' address events, `vagrant destroy -f` (whatever happened before), and
        check that nothing of the lab is left: containers, networks, host rules."""
        try:
            self.save_events()
        finally:
            self.destroy()
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / "vagrant-lab.txt").write_text("".join(f"vagrant {step}: {seconds:.1f} s\n"
                                                         for step, seconds in self.took.items()))
        left = [c.name for c in self.client.containers.list(all=True, filters={"label": LABEL_FILTER})]
        left += [n.name for n in self.client.networks.list(filters={"label": LABEL_FILTER})]
        left += [" ".join(spec) for spec in nodes.bridge_rules()]
        if left:
            raise VagrantError(f"`vagrant destroy -f` left {', '.join(left)} behind")

    def destroy(self) -> None:
        start = time.monotonic()
        self.vagrant("destroy", "-f", timeout=DESTROY_TIMEOUT_S)
        self.took["destroy"] = time.monotonic() - start
        self.log(f"vagrant destroy: done in {self.took['destroy']:.1f} s")

    def vagrant(self, *args: str, timeout: float) -> None:
        """Run `vagrant ARGS` in the repository, its output shown line by line as progress."""
        command = ["timeout", "-k", "10", f"{timeout:.0f}", "vagrant", *args]
        with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "VAGRANT_NO_COLOR": "1"}) as process:
            for line in process.stdout or ():
                self.output.append(line)
                self.log(f"[vagrant] {line.rstrip()}")
            code = process.wait()
        if code == 124:
            raise VagrantError(f"`vagrant {' '.join(args)}` did not finish in {timeout:.0f} s (its output is above)")
        if code != 0:
            raise VagrantError(f"`vagrant {' '.join(args)}` exited {code} (its output is above)")
