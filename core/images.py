"""
The sizes product photos are shown at, made by django-imagekit when a photo is saved.

A listing's photo and an order line's copy of it name the same file and the same spec,
so they share one thumbnail file.
"""

from imagekit import ImageSpec
from imagekit.processors import ResizeToFill, ResizeToFit

# The box Display fits a photo into; a smaller photo keeps its size (never blown up, blurred).
DISPLAY_BOX = 800


class Thumbnail(ImageSpec):
    """Square, cropped to fill: rows and cards (shown at 64 to 96 CSS pixels, sharp at 2×)."""

    processors = [ResizeToFill(192, 192)]
    format = "JPEG"
    options = {"quality": 82}


class Display(ImageSpec):
    """The whole photo, at most 800 pixels on a side: the listing's page."""

    processors = [ResizeToFit(DISPLAY_BOX, DISPLAY_BOX, upscale=False)]
    format = "JPEG"
    options = {"quality": 85}


def display_size(width: int, height: int) -> tuple[int, int]:
    """
    The size of a ``width`` × ``height`` photo's Display image, computed as pilkit's
    ResizeToFit does: a page gives it as the <img>'s width and height, so the browser
    keeps the photo's place before it arrives (no layout shift). (0, 0) for an unknown size.
    """
    if width <= 0 or height <= 0:
        return (0, 0)
    ratio = min(DISPLAY_BOX / width, DISPLAY_BOX / height, 1)
    return (round(width * ratio), round(height * ratio))
