"""The lab's images: a Debian root, a systemd base on it, and one image per role on the base.

Each image is tagged by a hash of its build context and its parent's image id, so it is rebuilt
only when something that goes into it changes. No registry is reachable: the root is a local
`debian:bookworm` if present, else a minbase debootstrap imported into Docker.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, BuildError, ImageNotFound

from cclab.engine import LABELS, EngineError

Log = Callable[[str], None]

UPSTREAM_ROOT = "debian:bookworm"
IMPORTED_ROOT = "cclab/debian:bookworm"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"

CONTEXTS = Path(__file__).parent / "images"
CCSIM = Path(__file__).parent / "ccsim"

# name -> parent ("root" is the Debian root image); order is build order.
PARENTS: dict[str, str] = {"base": "root", "cc": "base", "nc": "base", "walrus": "base", "puppetserver": "base"}
# name -> {path inside the build context: source directory}, copied in at build time.
EXTRAS: dict[str, dict[str, Path]] = {"cc": {"ccsim": CCSIM}}
ROLES = ("cc", "nc", "walrus", "puppetserver")

_SKIP = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_HEARTBEAT_S = 10.0  # a long step shows its latest line this often, so the build looks alive
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the engine colours RUN steps' stderr
# debootstrap alternates these verbs per package; one phase each keeps its output short.
_SAME_PHASE = {"Validating": "Retrieving", "Checking": "Retrieving", "Valid": "Retrieving"}


class ImageError(RuntimeError):
    """An image could not be built or imported."""


@dataclass(frozen=True)
class Image:
    name: str        # "cc"
    tag: str         # "cclab/cc:0123456789ab"
    id: str          # "sha256:..."
    built: bool      # False when an existing image with this tag was reused
    seconds: float   # time spent building (0 when reused)


def root_image(client: docker.DockerClient, log: Log = print) -> Image:
    """The Debian root: `debian:bookworm` if present, else our debootstrap import (made once)."""
    for tag in (UPSTREAM_ROOT, IMPORTED_ROOT):
        try:
            img = client.images.get(tag)
            return Image("root", tag, img.id, built=False, seconds=0.0)
        except ImageNotFound:
            pass
    start = time.monotonic()
    image_id = _debootstrap_import(client, IMPORTED_ROOT, log)
    seconds = time.monotonic() - start
    log(f"[root] {IMPORTED_ROOT} imported in {seconds:.0f} s")
    return Image("root", IMPORTED_ROOT, image_id, built=True, seconds=seconds)


def build_all(
    client: docker.DockerClient, log: Log = print, ccsim: Path = CCSIM, roles: Iterable[str] = ("cc", "nc", "walrus")
) -> dict[str, Image]:
    """The images of these roles (default: cc, nc, walrus) and what they are built on, building
    only what changed; keys: root, base and the roles.

    `ccsim` is the simulator's source directory (another one only for trying out the images).
    """
    wanted = {"base", *roles}
    images: dict[str, Image] = {"root": root_image(client, log)}
    for name, parent in PARENTS.items():
        if name in wanted:
            extras = {"ccsim": ccsim} if name == "cc" else {}
            images[name] = build(client, name, images[parent], log, extras)
    return images


def role_images(images: Mapping[str, Image]) -> dict[str, str]:
    """Role -> image tag, what nodes.create_all() takes."""
    return {role: images[role].tag for role in ROLES if role in images}


def build(
    client: docker.DockerClient,
    name: str,
    parent: Image,
    log: Log = print,
    extras: Mapping[str, Path] | None = None,
) -> Image:
    """Build cclab/images/<name> on `parent` unless an image with the same context hash exists.

    `extras` maps a directory inside the build context to a local directory copied there
    (default: EXTRAS[name], e.g. cclab/ccsim as ccsim/ for the cc image).
    """
    with tempfile.TemporaryDirectory(prefix=f"cclab-ctx-{name}-") as tmp:
        context = Path(tmp)
        assemble_context(name, context, log, EXTRAS.get(name, {}) if extras is None else extras)
        tag = f"cclab/{name}:{context_hash(context, parent.id)}"
        try:
            return Image(name, tag, client.images.get(tag).id, built=False, seconds=0.0)
        except ImageNotFound:
            pass
        log(f"[{name}] building {tag} on {parent.tag}")
        start = time.monotonic()
        image_id = _stream_build(client, name, context, tag, parent.tag, log)
        seconds = time.monotonic() - start
        log(f"[{name}] built {tag} in {seconds:.0f} s")
        return Image(name, tag, image_id, built=True, seconds=seconds)


def assemble_context(
    name: str, dest: Path, log: Log = print, extras: Mapping[str, Path] | None = None
) -> None:
    """Copy cclab/images/<name> and its extra directories (e.g. ccsim for cc) into `dest`."""
    source = CONTEXTS / name
    if not (source / "Dockerfile").is_file():
        raise ImageError(f"no Dockerfile in {source}: restore it from git")
    shutil.copytree(source, dest, dirs_exist_ok=True, ignore=_ignore)
    for inside, extra in (EXTRAS.get(name, {}) if extras is None else extras).items():
        if not extra.is_dir() or not any(_files(extra)):
            # The install step in the Dockerfile decides whether an empty extra is fatal.
            log(f"[{name}] warning: {extra} is empty; the image gets no {inside}")
            (dest / inside).mkdir(parents=True, exist_ok=True)
            continue
        shutil.copytree(extra, dest / inside, dirs_exist_ok=True, ignore=_ignore)


def context_hash(context: Path, parent_id: str) -> str:
    """12 hex digits over the parent's id and every file's path, exec bit and content."""
    digest = hashlib.sha256(parent_id.encode())
    for path in sorted(_files(context)):
        rel = path.relative_to(context).as_posix()
        executable = os.access(path, os.X_OK)
        digest.update(f"\0{rel}\0{int(executable)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP)
        for filename in filenames:
            if not filename.endswith(".pyc"):
                yield Path(dirpath) / filename


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n in _SKIP or n.endswith(".pyc")}


def _stream_build(
    client: docker.DockerClient, name: str, context: Path, tag: str, parent: str, log: Log
) -> str:
    """Run `docker build`, showing each step and a heartbeat; on failure show the last lines."""
    tail: list[str] = []
    image_id = ""
    last_beat = time.monotonic()
    try:
        stream = client.api.build(
            path=str(context), tag=tag, buildargs={"BASE": parent}, labels=dict(LABELS),
            rm=True, forcerm=True, pull=False, decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                detail = "\n".join(tail[-25:])
                raise ImageError(
                    f"[{name}] docker build failed: {chunk['error'].strip()}\n{detail}\n"
                    f"[{name}] fix what the lines above show (cclab/images/{name}/), then rerun"
                )
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
            for line in str(chunk.get("stream", "")).splitlines():
                line = _ANSI.sub("", line).rstrip()
                if not line:
                    continue
                tail = (tail + [line])[-25:]
                if line.startswith("Step "):
                    log(f"[{name}] {line[:110]}")
                    last_beat = time.monotonic()
                elif time.monotonic() - last_beat > _HEARTBEAT_S:
                    log(f"[{name}]   ... {line.strip()[:100]}")
                    last_beat = time.monotonic()
    except (APIError, BuildError) as exc:
        raise ImageError(f"[{name}] docker build failed: {exc}; is dockerd healthy?") from exc
    if not image_id:
        image_id = client.images.get(tag).id
    return image_id


def _debootstrap_import(client: docker.DockerClient, tag: str, log: Log) -> str:
    """debootstrap a minbase bookworm and `docker import` it (takes minutes, once)."""
    if shutil.which("debootstrap") is None:
        raise ImageError(
            f"no {UPSTREAM_ROOT} image and no debootstrap: "
            "`apt-get install debootstrap`, then rerun"
        )
    work = Path(tempfile.mkdtemp(prefix="cclab-rootfs-", dir="/var/tmp"))
    rootfs = work / "rootfs"
    try:
        log(f"[root] no {UPSTREAM_ROOT} image: debootstrap {SUITE} (minbase) from {MIRROR}")
        _run_condensed(
            ["debootstrap", "--variant=minbase", SUITE, str(rootfs), MIRROR], "root", log
        )
        # apt caches and lists only make the image bigger; every build step runs apt-get update.
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / leftover).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tarball = work / "rootfs.tar"
        subprocess.run(
            ["tar", "-C", str(rootfs), "--numeric-owner", "--xattrs", "-cf", str(tarball), "."],
            check=True,
        )
        log(f"[root] importing {tarball.stat().st_size // 2**20} MiB as {tag}")
        repository, _, version = tag.partition(":")
        client.api.import_image_from_file(
            str(tarball), repository=repository, tag=version,
            changes=[f"LABEL {k}={v}" for k, v in LABELS.items()] + ['CMD ["/bin/bash"]'],
        )
        return client.images.get(tag).id
    except subprocess.CalledProcessError as exc:
        raise ImageError(
            f"[root] {exc.cmd[0]} failed with exit {exc.returncode}: see the lines above"
        ) from exc
    except APIError as exc:
        raise EngineError(f"[root] docker import failed: {exc}") from exc
    finally:
        _remove_rootfs(work)


def _run_condensed(cmd: list[str], name: str, log: Log) -> None:
    """Run cmd, logging a line whenever its phase (debootstrap's verb) changes, plus errors."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    phase, count, tail, last_beat = "", 0, [], time.monotonic()
    for raw in proc.stdout:
        line = raw.rstrip()
        tail = (tail + [line])[-15:]
        words = line.split()
        verb = words[1] if line.startswith("I: ") and len(words) > 1 else ""
        verb = _SAME_PHASE.get(verb, verb)
        if line.startswith(("E: ", "W: ")):
            log(f"[{name}] {line}")
        elif verb and verb != phase:
            if count > 1:
                log(f"[{name}]   ({count} lines of {phase})")
            phase, count, last_beat = verb, 0, time.monotonic()
            log(f"[{name}] {line[:100]}")
        elif time.monotonic() - last_beat > _HEARTBEAT_S:
            log(f"[{name}]   ... {line[:100]}")
            last_beat = time.monotonic()
        count += 1
    if proc.wait() != 0:
        log("\n".join(f"[{name}] | {t}" for t in tail))
        raise subprocess.CalledProcessError(proc.returncode, cmd)


def _remove_rootfs(work: Path) -> None:
    """Remove the debootstrap tree, unmounting first anything a failed run left mounted in it."""
    with open("/proc/mounts") as mounts:
        inside = [m.split()[1] for m in mounts if m.split()[1].startswith(str(work) + "/")]
    for mountpoint in sorted(inside, reverse=True):
        subprocess.run(["umount", "-l", mountpoint], check=False)
    shutil.rmtree(work, ignore_errors=True)
