"""catalog.forms: the listing form's photos and the store form's name."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from catalog.forms import ListingForm, StoreForm
from tests.factories import SellerFactory, image_file

pytestmark = pytest.mark.django_db

LISTING = {
    "title": "Dot grid notebook",
    "description": "",
    "category": "",
    "condition": "new",
    "price": "12.00",
    "stock": "3",
    "handling_days": "2",
    "is_active": "on",
}


def uploaded(name="photo.png", **image):
    return SimpleUploadedFile(name, image_file(**image).read())


def listing_form(files, photo_count=0):
    return ListingForm(LISTING, MultiValueDict({"photos": files}), photo_count=photo_count)


def test_photos_chosen_at_once_come_out_prepared_in_order():
    """Several files in one field: each checked and re-encoded, in the order chosen."""
    form = listing_form([uploaded(colour="red"), uploaded(colour="blue", format="JPEG")])

    assert form.is_valid(), form.errors
    assert [photo.name for photo in form.cleaned_data["photos"]] == ["photo.jpg", "photo.jpg"]
    assert form.details().price == Decimal("12.00")


def test_no_photo_is_fine():
    """Photos are optional: an empty list."""
    form = listing_form([])

    assert form.is_valid(), form.errors
    assert form.cleaned_data["photos"] == []


def test_each_refused_file_is_named_in_the_error():
    """Two bad files among three: one error each, naming the file; the form is invalid."""
    form = listing_form(
        [
            uploaded("good.png"),
            SimpleUploadedFile("notes.png", b"hello"),
            SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ]
    )

    assert not form.is_valid()
    assert form.errors["photos"] == [
        "“notes.png”: not a photo we can read: use JPEG, PNG, WebP or GIF.",
        "“logo.svg”: not a photo we can read: use JPEG, PNG, WebP or GIF.",
    ]


def test_more_photos_than_room_is_an_error_saying_how_many_fit():
    """Six photos already and three more: at most two fit."""
    form = listing_form([uploaded(), uploaded(), uploaded()], photo_count=6)

    assert not form.is_valid()
    assert form.errors["photos"] == [
        "A listing has at most 8 photos: this one has 6, so add at most 2 (you chose 3)."
    ]


STORE = {
    "store_name": "Paper Moon",
    "return_name": "Returns",
    "return_line1": "1 Quay Street",
    "return_city": "Dublin",
    "return_postcode": "D02",
    "return_country": "IE",
    "default_handling_days": "2",
    "policies": "",
}


def test_a_store_name_taken_in_any_case_is_a_field_error():
    """'paper moon' when 'Paper Moon' exists: the name field says so."""
    SellerFactory(store_name="Paper Moon")

    form = StoreForm({**STORE, "store_name": "paper moon"})

    assert not form.is_valid()
    assert form.errors["store_name"] == ["A store with this name already exists: choose another."]


def test_the_store_form_needs_the_return_address_and_a_known_country():
    """A return address without its first line, or in a country not served: field errors."""
    form = StoreForm({**STORE, "return_line1": "", "return_country": "XX"})

    assert not form.is_valid()
    assert set(form.errors) == {"return_line1", "return_country"}


def test_a_store_keeps_its_own_name_in_its_settings():
    """The store's own name (in another case) is not 'taken' when it edits its settings."""
    seller = SellerFactory(store_name="Paper Moon")

    form = StoreForm({**STORE, "store_name": "PAPER MOON"}, instance=seller)

    assert form.is_valid(), form.errors
    assert form.details().store_name == "PAPER MOON"
