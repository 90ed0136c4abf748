"""Render a CC's files with the real module and `puppet apply`, without touching this host.

Puppet runs in private mount and network namespaces (`unshare`): the files land in a temporary
directory, /usr/local/sbin and /etc/sysctl.d are throwaway tmpfs, iptables and sysctls act on
the private network namespace, and the private interface is a veth that exists only there, so
that keepalived.conf is validated by `keepalived -t` exactly as on a CC.
"""
from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .manifest import class_declaration

REPO = Path(__file__).resolve().parent.parent
SYSTEM_MODULES = Path("/usr/share/puppet/modules")
PUB_DEV = "pub0"  # the public interface, for the gateway part  # Debian's puppet-module-puppetlabs-stdlib


class RenderError(RuntimeError):
    """Puppet refused the parameters or failed to apply them."""


@dataclass(frozen=True)
class Rendered:
    keepalived_conf: str
    check_script: Path       # still on disk: run it while the Rendered's directory lives
    puppet_output: str


def module_path(workdir: Path) -> str:
    """A module path where this checkout is `eucalyptus_cc_gateway`, beside Debian's stdlib."""
    link = workdir / "modules" / "eucalyptus_cc_gateway"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO)
    return f"{link.parent}:{SYSTEM_MODULES}"


def render(params: Mapping[str, Any], outdir: Path, priv_dev: str = "priv0") -> Rendered:
    """Apply the class with `params` (plus local paths) and return what it wrote into `outdir`."""
    local = {
        "priv_dev": priv_dev,
        "config_path": str(outdir / "keepalived.conf"),
        "check_script_path": str(outdir / "CCclient-enabled-check.sh"),
        "manage_package": False,
        "manage_service": False,
        "manage_script_user": False,
        "script_user": "nobody",
        "script_group": "nogroup",
        "iptables_preload_path": str(outdir / "iptables-preload"),
        **params,
    }
    manifest = outdir / "site.pp"
    manifest.write_text(class_declaration(local))
    script = (
        "mount -t tmpfs cclab-render /usr/local/sbin && mount -t tmpfs cclab-render /etc/sysctl.d"
        f" && ip link add {priv_dev} type veth peer name {priv_dev}-peer"
        f" && ip link add {PUB_DEV} type veth peer name {PUB_DEV}-peer"
        f" && exec puppet apply --detailed-exitcodes --color=false"
        f" --modulepath {module_path(outdir)} {manifest}"
    )
    run = subprocess.run(["unshare", "--mount", "--net", "sh", "-c", script],
                         capture_output=True, text=True, timeout=120)
    output = run.stdout + run.stderr
    if run.returncode not in (0, 2):
        raise RenderError(f"puppet apply exited {run.returncode}:\n{output}")
    return Rendered((outdir / "keepalived.conf").read_text(), outdir / "CCclient-enabled-check.sh", output)
