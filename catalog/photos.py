"""
A seller's upload made into a listing photo (docs/DESIGN.md §17).

The file's CONTENT decides, never its name: Pillow reads the header, and the photo is
refused unless it is a JPEG, PNG, WebP or GIF within the size and pixel limits. The
pixel count comes from the header before anything is decoded, so a small file that
claims 20,000 × 20,000 pixels (a decompression bomb) costs nothing. An accepted photo
is turned upright by its EXIF orientation and encoded afresh, which drops its metadata
(camera, time, GPS position): JPEG, or PNG when it has transparency.
"""

import io
import warnings

from django.conf import settings
from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's names for what a seller may upload (a GIF or WebP keeps its first frame).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
NOT_A_PHOTO = "not a photo we can read: use JPEG, PNG, WebP or GIF."
JPEG_QUALITY = 88


class PhotoRefused(ValueError):
    """The upload is not a photo we keep; the message says why, for the seller."""


def prepare_photo(upload: File) -> ContentFile:
    """
    The upload checked and re-encoded, as a new file named photo.jpg or photo.png (the
    listing's photo gives it a name of its own), or PhotoRefused.
    """
    max_bytes: int = settings.PHOTO_MAX_BYTES
    if upload.size is None or upload.size > max_bytes:
        raise PhotoRefused(f"larger than {max_bytes / 2**20:g} MB, the most a photo may be.")
    upload.seek(0)
    image = _open(upload)
    try:
        image.load()  # the first frame only, for a GIF or WebP
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise PhotoRefused(NOT_A_PHOTO) from error
    return _encode(image)


def _open(upload: File) -> Image.Image:
    """The image with its header read and checked, nothing decoded yet."""
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own limit and refuses past twice that; ours is lower.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PhotoRefused(_too_many_pixels()) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise PhotoRefused(NOT_A_PHOTO) from error
    width, height = image.size
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise PhotoRefused(f"{width:,} × {height:,} pixels: {_too_many_pixels()}")
    if not width or not height:
        raise PhotoRefused(NOT_A_PHOTO)
    return image


def _too_many_pixels() -> str:
    megapixels = settings.PHOTO_MAX_PIXELS / 1_000_000
    return f"too many pixels; a photo may have {megapixels:g} megapixels at most."


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _encode(image: Image.Image) -> ContentFile:
    """
    A new file from the pixels alone: no EXIF, XMP or text chunk comes along. The colour
    profile does (it says how to show the colours, nothing about who took the photo).
    """
    transparent = _has_transparency(image)
    pixels = image.convert("RGBA" if transparent else "RGB")
    icc_profile = image.info.get("icc_profile")
    pixels.info = {}
    buffer = io.BytesIO()
    if transparent:
        pixels.save(buffer, format="PNG", optimize=True, icc_profile=icc_profile)
    else:
        pixels.save(
            buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, icc_profile=icc_profile
        )
    return ContentFile(buffer.getvalue(), name="photo.png" if transparent else "photo.jpg")
