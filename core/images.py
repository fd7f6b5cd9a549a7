"""
The sizes product photos are shown at, made by django-imagekit when a photo is saved.

A listing's photo and an order line's copy of it name the same file and the same spec,
so they share one thumbnail file.
"""

from imagekit import ImageSpec
from imagekit.processors import ResizeToFill, ResizeToFit


class Thumbnail(ImageSpec):
    """Square, cropped to fill: rows and cards (shown at 64 to 96 CSS pixels, sharp at 2×)."""

    processors = [ResizeToFill(192, 192)]
    format = "JPEG"
    options = {"quality": 82}


class Display(ImageSpec):
    """The whole photo, at most 800 pixels on a side: the listing's page."""

    processors = [ResizeToFit(800, 800)]
    format = "JPEG"
    options = {"quality": 85}
