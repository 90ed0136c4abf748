#!/usr/bin/python3
"""Make the lab's machine image (EMI) once: random bytes and their sha256 beside them.

    cclab-walrus-image [--size-mib 256] /srv/walrus/emi/image.img

Writes IMAGE and IMAGE.sha256 (sha256sum format, `<hex>  image.img`) unless both exist and the
image has the requested size. Random content, so a corrupt or misassembled download cannot pass
the checksum by luck. Hashes while writing and renames into place, so a crash leaves no image
that looks complete. walrus.service runs it as ExecStartPre (about 1-2 s for 256 MiB).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

_CHUNK = 1 << 20


def checksum_path(image: Path) -> Path:
    return image.with_name(image.name + ".sha256")


def is_ready(image: Path, size: int) -> bool:
    """True when the image has `size` bytes and its checksum file exists."""
    return image.is_file() and image.stat().st_size == size and checksum_path(image).is_file()


def make_image(image: Path, size: int) -> str:
    """Write `size` random bytes to `image` and its checksum file; the hex digest."""
    image.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = image.with_name(image.name + ".partial")
    with open(partial, "wb") as out:
        left = size
        while left > 0:
            chunk = os.urandom(min(_CHUNK, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    os.replace(partial, image)
    hexdigest = digest.hexdigest()
    line_partial = image.with_name(image.name + ".sha256.partial")
    line_partial.write_text(f"{hexdigest}  {image.name}\n")
    os.replace(line_partial, checksum_path(image))
    return hexdigest


def ensure_image(image: Path, size: int) -> bool:
    """Make the image unless it is ready; True when it was made."""
    if is_ready(image, size):
        return False
    make_image(image, size)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path)
    parser.add_argument("--size-mib", type=int, default=256)
    args = parser.parse_args(argv)
    made = ensure_image(args.image, args.size_mib << 20)
    state = "made" if made else "already present"
    print(f"walrus: {args.image} ({args.size_mib} MiB) {state}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
