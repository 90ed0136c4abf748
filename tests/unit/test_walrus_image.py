"""The EMI that walrus.service makes at start: its size, a checksum sha256sum accepts, made once."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from image_tools import load

SOURCE = Path(__file__).resolve().parents[2] / "cclab/images/walrus/walrus_image.py"
SIZE = 3 * 2**20 + 5


walrus_image = load("walrus_image", SOURCE)


def test_makes_the_image_and_its_checksum(tmp_path: Path) -> None:
    image = tmp_path / "emi/image.img"
    assert walrus_image.ensure_image(image, SIZE) is True
    data = image.read_bytes()
    assert len(data) == SIZE
    line = (tmp_path / "emi/image.img.sha256").read_text()
    assert line == f"{hashlib.sha256(data).hexdigest()}  image.img\n"
    assert sorted(p.name for p in image.parent.iterdir()) == ["image.img", "image.img.sha256"]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="no coreutils sha256sum here")
def test_sha256sum_accepts_the_checksum_file(tmp_path: Path) -> None:
    image = tmp_path / "image.img"
    walrus_image.make_image(image, SIZE)
    subprocess.run(["sha256sum", "--check", "--strict", "image.img.sha256"], cwd=tmp_path, check=True,
                   capture_output=True)


def test_a_ready_image_is_kept(tmp_path: Path) -> None:
    image = tmp_path / "image.img"
    walrus_image.make_image(image, SIZE)
    before = image.read_bytes()
    assert walrus_image.ensure_image(image, SIZE) is False
    assert image.read_bytes() == before


@pytest.mark.parametrize("damage", ["wrong size", "no checksum"])
def test_an_incomplete_image_is_made_again(tmp_path: Path, damage: str) -> None:
    image = tmp_path / "image.img"
    walrus_image.make_image(image, SIZE)
    if damage == "wrong size":
        with open(image, "r+b") as f:
            f.truncate(SIZE // 2)
    else:
        (tmp_path / "image.img.sha256").unlink()
    assert walrus_image.ensure_image(image, SIZE) is True
    data = image.read_bytes()
    assert len(data) == SIZE
    assert (tmp_path / "image.img.sha256").read_text().split()[0] == hashlib.sha256(data).hexdigest()


def test_command_line(tmp_path: Path) -> None:
    image = tmp_path / "emi/image.img"
    subprocess.run([sys.executable, str(SOURCE), "--size-mib", "1", str(image)], check=True, capture_output=True)
    assert image.stat().st_size == 2**20
