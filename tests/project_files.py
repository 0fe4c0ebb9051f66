"""Files a team gives its project (issue 17), made in the tests: real PDFs and images from
Pillow, and the impostors the checks must refuse."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, ImageDraw


def pdf(pages: int = 2, label: str = "slides") -> bytes:
    """A real PDF of ``pages`` pages (Pillow writes them), the first with ``label`` drawn."""
    images = []
    for i in range(pages):
        page = Image.new("RGB", (640, 480), (250, 250, 240 - 40 * i))
        ImageDraw.Draw(page).text((40, 40), f"{label} {i + 1}", fill=(0, 0, 0))
        images.append(page)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def png(width: int = 320, height: int = 200, color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A PNG carrying a text chunk (metadata that must not survive re-encoding)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret-gps-37.5665,126.9780")
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (200, 120), (200, 60, 60))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def huge_png() -> bytes:
    """50 megapixels (10,000 × 5,000), a few kilobytes compressed: a decompression bomb."""
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")
    return out.getvalue()


def html_as_pdf() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def zip_as_png() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()
