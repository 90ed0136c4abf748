"""The fleet's Puppet server: the control repository and the module deployed to it as r10k
would, the secrets beside them (readable by the server only), autosigning for the lab's CCs."""
from __future__ import annotations

import shlex
import time
from collections.abc import Iterable, Mapping

import docker

from cclab import control_repo, nodes, puppet

ENVIRONMENTS = "/etc/puppet/code/environments"        # Debian's environmentpath
PRODUCTION = f"{ENVIRONMENTS}/production"
MODULE = f"{PRODUCTION}/modules/eucalyptus_cc_gateway"
AUTOSIGN = "/etc/puppet/autosign.conf"
LOGS = "/var/log/puppetserver"
REPORTS = "/var/lib/puppetserver/reports"              # the server's vardir, not the CLI's
READY_TIMEOUT_S = 240.0


class ServerError(RuntimeError):
    """The Puppet server did not come up or refused its content."""


def deploy(client: docker.DockerClient, server: str, secrets: Mapping[str, str]) -> None:
    """The production environment from examples/control-repo, the module in its modules/, and
    `secrets` (path under the environment -> content)."""
    nodes.check(client, server, ["rm", "-rf", PRODUCTION])
    nodes.copy_dir(client, server, control_repo.ENVIRONMENT, PRODUCTION)
    puppet.install_module(client, server, MODULE)
    nodes.check(client, server, ["find", PRODUCTION, "-type", "d", "-exec", "chmod", "0755", "{}", "+"])
    for path, content in secrets.items():
        write(client, server, path, content, secret=True)


def autosign(client: docker.DockerClient, server: str, certnames: Iterable[str]) -> None:
    """Sign the certificates of these nodes, and no other, without an operator."""
    nodes.put_file(client, server, AUTOSIGN, "".join(f"{name}\n" for name in certnames), mode=0o644)


def wait_ready(client: docker.DockerClient, server: str, timeout: float = READY_TIMEOUT_S) -> float:
    """Wait until puppetserver.service is active (its unit is, only once the server answers);
    returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        code, state = nodes.run(client, server, ["systemctl", "is-active", "puppetserver"], timeout=10)
        if code == 0:
            return time.monotonic() - start
        if state.strip() == "failed":
            break
        time.sleep(1)
    _, journal = nodes.run(client, server, "journalctl -u puppetserver -n 20 --no-pager", timeout=10)
    raise ServerError(f"{server}: puppetserver is not active after {time.monotonic() - start:.0f} s:\n{journal}\n"
                      f"(look with `docker exec cclab-{server} journalctl -u puppetserver`)")


def read(client: docker.DockerClient, server: str, path: str) -> str:
    return nodes.check(client, server, ["cat", f"{PRODUCTION}/{path}"])


def write(client: docker.DockerClient, server: str, path: str, content: str, secret: bool = False) -> None:
    """Replace a file of the production environment (a commit deployed): 0644, or with `secret`
    root:puppet 0640 in directories only the server can enter."""
    target = f"{PRODUCTION}/{path}"
    nodes.put_file(client, server, target, content, mode=0o640 if secret else 0o644)
    if secret:
        top = f"{PRODUCTION}/{path.split('/', 1)[0]}"
        nodes.check(client, server, f"chgrp puppet {shlex.quote(target)} && find {shlex.quote(top)} -type d "
                    "-exec chgrp puppet {} + -exec chmod 0750 {} +")


def logs_and_reports(client: docker.DockerClient, server: str) -> str:
    """Every log line and stored report of the server, for a search for leaked secrets."""
    return nodes.check(client, server, f"cat {shlex.quote(LOGS)}/*.log; find {shlex.quote(REPORTS)} -type f "
                       "-exec cat {} +", timeout=60)
