"""The Docker engine: one SDK client, and the names and label that mark what the lab owns."""
from __future__ import annotations

import os

import docker
from docker.errors import DockerException

# Everything the lab creates carries this label, so cleanup never touches anything else.
LABEL_KEY = "cclab"
LABEL_VALUE = "1"
LABELS: dict[str, str] = {LABEL_KEY: LABEL_VALUE}
LABEL_FILTER = f"{LABEL_KEY}={LABEL_VALUE}"

# Containers are `cclab-<node>`, networks `cclab-<network>` (other tools rely on these names).
NAME_PREFIX = "cclab-"


class EngineError(RuntimeError):
    """The Docker engine is missing, unreachable or refused an operation."""


def docker_name(name: str) -> str:
    """The Docker object name for a topology node or network name."""
    return f"{NAME_PREFIX}{name}"


def connect() -> docker.DockerClient:
    """A client for the local engine; the API version is negotiated (20.10 speaks API 1.41)."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(version="auto")
        client.ping()
    except DockerException as exc:
        raise EngineError(
            f"Docker engine not reachable at {where} ({exc}): "
            "start it with `scripts/bootstrap` or `dockerd >/var/log/dockerd.log 2>&1 &`"
        ) from exc
    return client


def event_time(client: docker.DockerClient, name: str, action: str, since: float, until: float) -> float | None:
    """When the engine recorded `action` (die, pause, ...) for container `name` in [since, until]
    (epoch seconds, the engine's own nanosecond stamp); None if it did not."""
    found = client.events(since=int(since), until=int(until) + 1, decode=True,
                          filters={"container": name, "event": action, "type": "container"})
    stamps = [e["timeNano"] / 1e9 for e in found if e.get("timeNano", 0) / 1e9 >= since - 1e-3]
    return min(stamps, default=None)
