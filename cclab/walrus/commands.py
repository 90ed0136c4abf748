"""Command lines for the NC's tools, to run in the nc1 container (docker exec / nodes helpers).

The probe and a throttled fetch run in the background as transient systemd units, so they outlive
the exec that started them and their output stays in files the harness reads afterwards:

    start:   probe_command(url, duration)            -> systemd-run ... cclab-probe ...
    running: ["systemctl", "is-active", "--quiet", unit_name(PROBE_UNIT)]  (exit 0 while running)
    collect: ["cat", PROBE_LOG]  -> probe_log.parse()
    stop:    stop_command(PROBE_UNIT)  (before starting again, or to cut a run short)
"""
from __future__ import annotations

WALRUS_PORT = 8773
PROBE_UNIT = "cclab-probe"
FETCH_UNIT = "cclab-fetch"
PROBE_LOG = "/var/log/cclab/probe.log"
FETCH_OUT = "/var/log/cclab/fetch.out"
FETCH_DEST = "/var/lib/cclab/image.img"
PROBE_KEY = ("probe", "ping")
EMI_KEY = ("emi", "image.img")


def object_url(host: str, bucket: str, key: str, port: int = WALRUS_PORT) -> str:
    """http://<walrus>:8773/services/Walrus/<bucket>/<key>, as an NC asks for an image."""
    return f"http://{host}:{port}/services/Walrus/{bucket}/{key}"


def unit_name(unit: str) -> str:
    return f"{unit}.service"


def probe_command(
    url: str, duration: float, interval: float = 0.05, timeout: float = 0.25, out: str = PROBE_LOG,
    unit: str = PROBE_UNIT,
) -> list[str]:
    """Start cclab-probe in the background; it stops by itself after `duration` seconds."""
    return _background(unit) + [
        "/usr/local/bin/cclab-probe", url, "--interval", str(interval), "--duration", str(duration),
        "--timeout", str(timeout), "--out", out,
    ]


def fetch_command(
    url: str, sha256_url: str, dest: str = FETCH_DEST, rate: int | None = None, max_seconds: float = 600.0,
    retries: int = 20, out: str | None = FETCH_OUT, unit: str = FETCH_UNIT,
) -> list[str]:
    """cclab-fetch; in the background with its stdout in `out`, or in the foreground if out is None."""
    tool = ["/usr/local/bin/cclab-fetch", url, dest, "--sha256-url", sha256_url,
            "--max-seconds", str(max_seconds), "--retries", str(retries)]
    if rate is not None:
        tool += ["--rate", str(rate)]
    if out is None:
        return tool
    # truncate: a rerun must not leave the previous run's JSON line for the reader to find.
    return _background(unit, f"--property=StandardOutput=truncate:{out}", "--property=StandardError=journal") + tool


def stop_command(unit: str) -> list[str]:
    """Stop a background tool (no error if it is not running)."""
    return ["sh", "-c", f"systemctl stop {unit_name(unit)} 2>/dev/null; systemctl reset-failed {unit_name(unit)} "
            "2>/dev/null; true"]


def _background(unit: str, *properties: str) -> list[str]:
    # --collect: the unit goes away when it ends, even failed, so the name is free for the next run.
    return ["systemd-run", f"--unit={unit}", "--collect", "--quiet", *properties, "--"]
