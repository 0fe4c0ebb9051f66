"""A project's files (issue 17): the slides or report (a PDF) and screenshots, checked and
kept with a thumbnail each. Pure file work, no database: the web node streams the upload in
within its cap (``receive``), then runs ``prepare_slides`` / ``prepare_screenshot`` in a pool
of real threads of their own (``app.api.projects.PREPARING``), since rendering a page or
decoding an image is CPU work.

Nothing a team sends is served as it came: an image is decoded and written afresh by Pillow
(no metadata, no trailing bytes, at most ``MAX_SIDE`` pixels a side), and a PDF must start as
one and render its first page in ``pdftoppm`` (Debian's poppler-utils), run with a timeout and
CPU and memory limits, so a file that is really HTML, a ZIP or a bomb is refused.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from review.reviews import ReviewError

FOLDER = "projects"  # under the storage folder; not the submissions' (their sweep removes
# every file no submission names)
CHUNK = 1 << 16
MAX_SLIDES_BYTES = 20_000_000
MAX_SCREENSHOT_BYTES = 10_000_000
MAX_SCREENSHOTS = 6
# A project's files in all, its earlier versions' included (they are kept, so judges see the
# project as of its deadline): a member looping uploads cannot fill the disk.
MAX_PROJECT_BYTES = 200_000_000
FILE_UPLOADS_PER_HOUR = 30  # per member: each slides file costs a pdftoppm run
# Decoded, an image takes 4 bytes a pixel: 40 megapixels is 160 MB; a 50-megapixel one (or a
# small PNG that claims to be that large) is refused before it is decoded.
MAX_PIXELS = 40_000_000
MAX_SIDE = 3840  # a kept screenshot's longer side
THUMB_SIDE = 480
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
PDFTOPPM_TIMEOUT_S = 30
PDFTOPPM_MEMORY = 1 << 30  # address space of the renderer
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Received:
    """An upload on disk as it came, not yet checked."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Prepared:
    """A checked file as kept: paths under the storage folder."""

    stored_path: str
    thumb_path: str
    media_type: str


def receive(stream: BinaryIO, storage_dir: Path, limit: int) -> Received:
    """The upload in a temporary file, refused (413) past ``limit`` bytes while it streams."""
    folder = storage_dir / FOLDER / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, suffix=".part")
    path = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ReviewError(
                        "The file is larger than the %(limit)s MB limit.",
                        413,
                        limit=f"{limit / 1e6:g}",
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path, size, digest.hexdigest())


def _new_paths(storage_dir: Path, suffix: str) -> tuple[Path, Path, str, str]:
    relative = Path(FOLDER) / secrets.token_hex(2) / secrets.token_hex(16)
    stored, thumb = f"{relative}{suffix}", f"{relative}.thumb.png"
    (storage_dir / relative).parent.mkdir(parents=True, exist_ok=True)
    return storage_dir / stored, storage_dir / thumb, stored, thumb


def _not_a_pdf() -> ReviewError:
    return ReviewError("This file is not a PDF that can be read.", 422)


def prepare_slides(received: Received, storage_dir: Path) -> Prepared:
    """A PDF kept with a thumbnail of its first page; anything else refused (422)."""
    try:
        with received.path.open("rb") as source:
            if source.read(len(PDF_MAGIC)) != PDF_MAGIC:
                raise _not_a_pdf()
        target, thumb, stored, thumb_rel = _new_paths(storage_dir, ".pdf")
        prefix = thumb.with_suffix("")  # pdftoppm adds .png
        command = [
            "prlimit", f"--as={PDFTOPPM_MEMORY}", f"--cpu={PDFTOPPM_TIMEOUT_S}", "--",
            "pdftoppm", "-png", "-f", "1", "-l", "1", "-singlefile",
            "-scale-to", str(THUMB_SIDE), str(received.path), str(prefix),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=PDFTOPPM_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            thumb.unlink(missing_ok=True)
            raise _not_a_pdf() from None
        if done.returncode != 0 or not thumb.is_file():
            thumb.unlink(missing_ok=True)
            raise _not_a_pdf()
        _check_thumbnail(thumb)
        shutil.move(received.path, target)
        return Prepared(stored, thumb_rel, "application/pdf")
    finally:
        received.path.unlink(missing_ok=True)


def _check_thumbnail(path: Path) -> None:
    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, UnidentifiedImageError):
        path.unlink(missing_ok=True)
        raise _not_a_pdf() from None


def prepare_screenshot(received: Received, storage_dir: Path) -> Prepared:
    """An image decoded and written afresh as PNG (no metadata), with a thumbnail; a file that
    is not a PNG, JPEG, WebP or GIF image, or has more than ``MAX_PIXELS``, is refused."""
    try:
        try:
            with Image.open(received.path) as image:
                if image.format not in IMAGE_FORMATS:
                    raise ReviewError("Send a PNG, JPEG, WebP or GIF image.", 422)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ReviewError(
                        "The image has %(pixels)s megapixels; at most %(limit)s.",
                        422,
                        pixels=f"{width * height / 1e6:.0f}",
                        limit=f"{MAX_PIXELS / 1e6:.0f}",
                    )
                image.seek(0)  # an animation's first frame
                image.load()
                upright = ImageOps.exif_transpose(image)  # before the EXIF goes
        except ReviewError:
            raise
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
            raise ReviewError("Send a PNG, JPEG, WebP or GIF image.", 422) from None
        mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
        clean = upright.convert(mode)
        clean.thumbnail((MAX_SIDE, MAX_SIDE))
        target, thumb, stored, thumb_rel = _new_paths(storage_dir, ".png")
        # A new image from the pixels alone: no EXIF, text chunks, ICC profile or extra bytes.
        Image.frombytes(clean.mode, clean.size, clean.tobytes()).save(target, "PNG")
        small = clean.copy()
        small.thumbnail((THUMB_SIDE, THUMB_SIDE))
        small.save(thumb, "PNG")
        return Prepared(stored, thumb_rel, "image/png")
    finally:
        received.path.unlink(missing_ok=True)


def discard(storage_dir: Path, prepared: Prepared) -> None:
    """A prepared file no row came to name (the save was refused after all)."""
    for relative in (prepared.stored_path, prepared.thumb_path):
        (storage_dir / relative).unlink(missing_ok=True)
