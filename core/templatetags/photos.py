"""
``{% photo %}``: a product photo as an <img> with its size, or a neutral placeholder.

Every page that shows a listing's or an order line's photo draws it with this tag, so
each one has its alt text (the title, escaped like any text), its width and height (no
layout shift) and the same placeholder when there is no photo (docs/DESIGN.md §18).
"""

from typing import Any

from django import template

from core.images import display_size

register = template.Library()

THUMBNAIL = "thumbnail"
DISPLAY = "display"
# The placeholder of a missing Display image: a 4:3 box, scaled down to the column. The
# icon is drawn on 24 × 24; each view box leaves a margin around it (no CSS padding: a
# percentage would be of the column's width).
PLACEHOLDER_DISPLAY = (800, 600)
VIEW_BOX = {THUMBNAIL: "-6 -6 36 36", DISPLAY: "-20 -9 64 48"}


@register.inclusion_tag("core/_photo.html")
def photo(
    owner: Any,
    spec: str = THUMBNAIL,
    *,
    alt: str,
    size: int = 64,
    lazy: bool = True,
    css: str = "",
) -> dict[str, Any]:
    """
    ``owner``'s photo at ``spec``: a ListingPhoto or an OrderLine (anything with an
    ``image`` and imagekit specs named ``thumbnail`` and ``display``), or None (a
    listing without photos: ``listing.first_photos.0`` is then empty).

    A thumbnail is a square shown at ``size`` CSS pixels (its file is 192², sharp at
    2×); a Display image is given its own size, and ``css`` (``img-fluid``) fits it to
    the column. ``lazy`` for the ones below the fold.
    """
    image = getattr(owner, "image", None) if owner else None
    if spec == DISPLAY:
        width, height = display_size(owner.width, owner.height) if image else PLACEHOLDER_DISPLAY
    else:
        width = height = size
    return {
        "url": getattr(owner, spec).url if image else "",
        "alt": alt,
        "width": width,
        "height": height,
        "lazy": lazy,
        "css": css,
        "view_box": VIEW_BOX[DISPLAY if spec == DISPLAY else THUMBNAIL],
    }
