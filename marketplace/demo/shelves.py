"""
The demo shop dressed as a real one: categories, each listing's category, condition and
one to three photos (drawn by Pillow: a colour, a shape and the item's initials, no
downloads), and each store's return address and policies. Whatever is already there is
kept, so seeding again adds nothing.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from catalog.models import Category, Listing, ListingPhoto, Seller

from .cast import (
    CUTTING_BOARD,
    DESK_LAMP,
    FOUNTAIN_PEN,
    GEL_PENS,
    KETTLE,
    KNIFE_SET,
    MUGS,
    NOTEBOOK,
    ORGANIZER,
    SKILLET,
    STICKY_NOTES,
    seed_listings,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CATEGORIES = {
    "Stationery": [NOTEBOOK, GEL_PENS, FOUNTAIN_PEN, STICKY_NOTES],
    "Office": [DESK_LAMP, ORGANIZER],
    "Kitchen": [KETTLE, MUGS, KNIFE_SET, CUTTING_BOARD, SKILLET],
    "Garden": [],  # a shelf with nothing on it yet
}
# One renewed item shows that a condition other than "New" exists.
RENEWED = {DESK_LAMP}
COLOURS = ["#2f6f8f", "#8f4a2f", "#3f7f4a", "#6a4a8f", "#8f7a2f", "#2f8f7f"]
PHOTO_SIZE = 480  # small enough to draw fast; the listing page shows it at most this wide

STORES = {
    "seller": {
        "return_name": "Sam's Stationery returns",
        "return_line1": "22 Quill Street",
        "return_city": "Springfield",
        "return_state": "IL",
        "return_postcode": "62701",
        "policies": (
            "Orders ship from Springfield within the handling days shown on each listing.\n\n"
            "Questions about an order? Message us from the order's page: we answer within a "
            "day."
        ),
    },
    "seller2": {
        "return_name": "Sue's Kitchen Supplies",
        "return_line1": "5 Copper Lane",
        "return_line2": "Unit 4",
        "return_city": "Portland",
        "return_state": "OR",
        "return_postcode": "97205",
        "policies": (
            "Knives ship in a sealed box and only to adults.\n\n"
            "Something arrived damaged? Message us from the order's page with a photo."
        ),
    },
}


def dress_the_shop(users: dict[str, User]) -> None:
    """Categories, conditions, photos and the stores' details, where they are missing."""
    listings = seed_listings(users)
    for name, titles in CATEGORIES.items():
        category, _created = Category.objects.get_or_create(
            slug=slugify(name), defaults={"name": name}
        )
        for title in titles:
            condition = Listing.Condition.RENEWED if title in RENEWED else Listing.Condition.NEW
            Listing.objects.filter(pk=listings[title].pk, category=None).update(
                category=category, condition=condition
            )
    for number, listing in enumerate(listings.values()):
        if not ListingPhoto.objects.filter(listing=listing).exists():
            for position in range(1 + number % 3):
                ListingPhoto.objects.create(
                    listing=listing,
                    image=draw_photo(listing.title, COLOURS[(number + position) % len(COLOURS)]),
                    position=position,
                )
    for username, details in STORES.items():
        Seller.objects.filter(user=users[username], return_line1="").update(**details)


def draw_photo(title: str, colour: str) -> ContentFile:
    """A square of ``colour`` with a pale disc and the title's initials."""
    image = Image.new("RGB", (PHOTO_SIZE, PHOTO_SIZE), colour)
    draw = ImageDraw.Draw(image)
    margin = PHOTO_SIZE // 6
    draw.ellipse((margin, margin, PHOTO_SIZE - margin, PHOTO_SIZE - margin), fill="#f4f1ea")
    initials = "".join(word[0] for word in title.split()[:2] if word[0].isalnum()).upper()
    font = ImageFont.load_default(size=PHOTO_SIZE // 4)
    draw.text((PHOTO_SIZE / 2, PHOTO_SIZE / 2), initials, fill=colour, font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name="photo.jpg")
