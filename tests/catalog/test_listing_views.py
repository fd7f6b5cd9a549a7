"""Seller Central → Inventory → Add a listing, Edit: the whole listing and its photos."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Listing, ListingPhoto
from tests.factories import ListingFactory, ListingPhotoFactory, SellerFactory, image_file

pytestmark = pytest.mark.django_db

FIELDS = {
    "title": "Dot grid notebook",
    "description": "A5, 160 pages of 100 gsm paper.",
    "category": "",
    "condition": "new",
    "price": "12.50",
    "stock": "7",
    "handling_days": "1",
    "is_active": "on",
}


def edit_url(listing):
    return reverse("catalog:listing_edit", args=[listing.pk])


def upload(name="photo.png", **image):
    return SimpleUploadedFile(name, image_file(**image).read())


def stored_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


@pytest.fixture
def seller(client):
    seller = SellerFactory(default_handling_days=4)
    client.force_login(seller.user)
    return seller


# --- Add a listing ----------------------------------------------------------------------------
def test_the_new_listing_form_starts_with_the_stores_handling_days(client, seller):
    """A new listing ships as the store usually does, and is active."""
    form = client.get(reverse("catalog:listing_create")).context["form"]

    assert form.initial == {"handling_days": 4, "is_active": True}


def test_creating_a_listing_with_photos_saves_it_and_opens_its_edit_page(client, seller):
    """The listing and its two photos are saved in the order chosen; the seller sees them."""
    response = client.post(
        reverse("catalog:listing_create"),
        {**FIELDS, "photos": [upload(colour="red"), upload(colour="blue")]},
    )

    listing = Listing.objects.get(seller=seller)
    assert response.status_code == 302
    assert response.url == edit_url(listing)
    assert (listing.title, listing.price, listing.stock) == (
        "Dot grid notebook",
        Decimal("12.50"),
        7,
    )
    assert list(listing.photos.values_list("position", flat=True)) == [0, 1]
    page = client.get(response.url).content.decode()
    assert "“Dot grid notebook” listed." in page
    assert page.count('data-testid="photo"') == 2


def test_a_bad_file_among_three_saves_nothing(client, seller):
    """One text file named .png among two photos: a form error naming it, no listing, no file."""
    before = stored_files()

    response = client.post(
        reverse("catalog:listing_create"),
        {
            **FIELDS,
            "photos": [upload(), SimpleUploadedFile("notes.png", b"not a photo"), upload()],
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [
        "“notes.png”: not a photo we can read: use JPEG, PNG, WebP or GIF."
    ]
    assert not Listing.objects.filter(seller=seller).exists()
    assert stored_files() == before


def test_nine_photos_are_refused_with_the_limit(client, seller):
    """At most eight photos: a clear error, nothing saved."""
    response = client.post(
        reverse("catalog:listing_create"), {**FIELDS, "photos": [upload() for _ in range(9)]}
    )

    assert "A listing has at most 8 photos" in response.context["form"].errors["photos"][0]
    assert not Listing.objects.filter(seller=seller).exists()


# --- Edit -------------------------------------------------------------------------------------
def test_the_edit_page_shows_the_listing_its_photos_and_its_checklist(client, seller):
    """As saved: the form's values, the photos in order, the checklist ✓/✗."""
    listing = ListingFactory(seller=seller, description="Short.", condition="new")
    ListingPhotoFactory(listing=listing, position=0)

    response = client.get(edit_url(listing))

    assert response.context["form"].initial["description"] == "Short."
    assert [check.done for check in response.context["checklist"]] == [False, True, True, False]
    body = response.content.decode()
    assert body.count('data-testid="photo"') == 1
    assert 'data-done="no"' in body and 'data-done="yes"' in body


def test_editing_changes_the_listing_and_adds_photos_after_its_own(client, seller):
    """New fields saved; a new photo goes after the existing one."""
    listing = ListingFactory(seller=seller, title="Old")
    first = ListingPhotoFactory(listing=listing, position=0)

    response = client.post(edit_url(listing), {**FIELDS, "photos": [upload()]})

    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.condition, listing.handling_days) == (
        "Dot grid notebook",
        "new",
        1,
    )
    photos = list(listing.photos.values_list("pk", flat=True))
    assert len(photos) == 2 and photos[0] == first.pk


def test_a_bad_edit_changes_nothing(client, seller):
    """A bad photo with new fields: the listing keeps its title, photos and files."""
    listing = ListingFactory(seller=seller, title="Kept", price=Decimal("10.00"))
    before = stored_files()

    response = client.post(
        edit_url(listing),
        {**FIELDS, "photos": [upload(), SimpleUploadedFile("bomb.svg", b"<svg/>")]},
    )

    assert response.status_code == 200
    listing.refresh_from_db()
    assert (listing.title, listing.price) == ("Kept", Decimal("10.00"))
    assert not listing.photos.exists()
    assert stored_files() == before


def test_photos_past_eight_on_edit_are_refused(client, seller):
    """Seven photos and two more: the error says one more fits; nothing is added."""
    listing = ListingFactory(seller=seller)
    ListingPhotoFactory.create_batch(7, listing=listing)

    response = client.post(edit_url(listing), {**FIELDS, "photos": [upload(), upload()]})

    assert response.context["form"].errors["photos"] == [
        "A listing has at most 8 photos: this one has 7, so add at most 1 (you chose 2)."
    ]
    assert listing.photos.count() == 7


def test_html_in_a_title_and_description_shows_as_text(client, seller):
    """A title with markup is escaped on the edit page and in Inventory."""
    listing = ListingFactory(
        seller=seller, title="<b>Bold</b> pen", description="<script>x</script>"
    )

    edit = client.get(edit_url(listing)).content.decode()
    inventory = client.get(reverse("catalog:inventory")).content.decode()

    for body in (edit, inventory):
        assert "<b>Bold</b>" not in body
        assert "&lt;b&gt;Bold&lt;/b&gt; pen" in body
    assert "<script>x</script>" not in edit


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_sellers_listing_edit_is_404_and_changes_nothing(client, seller, method):
    """Another seller's listing is not there for this seller."""
    listing = ListingFactory(title="Theirs")

    response = getattr(client, method)(edit_url(listing), FIELDS if method == "post" else None)

    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.title == "Theirs"


# --- Photo buttons ----------------------------------------------------------------------------
def test_each_photo_has_the_buttons_that_apply_to_it(client, seller):
    """The first photo moves only later, the last only earlier; each may be removed."""
    listing = ListingFactory(seller=seller)
    first, second = ListingPhotoFactory.create_batch(2, listing=listing)

    body = client.get(edit_url(listing)).content.decode()

    move_first, move_second = (reverse("catalog:photo_move", args=[p.pk]) for p in (first, second))
    assert body.count(f'action="{move_first}"') == 1 and "Move photo 1 later" in body
    assert body.count(f'action="{move_second}"') == 1 and "Move photo 2 earlier" in body
    assert "Move photo 1 earlier" not in body and "Move photo 2 later" not in body
    assert body.count('Remove<span class="visually-hidden"> photo') == 2


def test_moving_a_photo_later_reorders_and_returns_to_the_edit_page(client, seller):
    """The first photo moved later becomes the second."""
    listing = ListingFactory(seller=seller)
    first, second = ListingPhotoFactory.create_batch(2, listing=listing)

    response = client.post(reverse("catalog:photo_move", args=[first.pk]), {"offset": "1"})

    assert response.url == edit_url(listing)
    assert list(listing.photos.values_list("pk", flat=True)) == [second.pk, first.pk]


def test_a_move_without_a_direction_is_400_and_changes_nothing(client, seller):
    """An offset other than -1 or 1 is a bad request."""
    photo = ListingPhotoFactory(listing=ListingFactory(seller=seller), position=0)

    response = client.post(reverse("catalog:photo_move", args=[photo.pk]), {"offset": "5"})

    assert response.status_code == 400
    photo.refresh_from_db()
    assert photo.position == 0


def test_removing_a_photo_takes_it_off_the_listing(client, seller):
    """The photo's row goes; the other photo becomes the first."""
    listing = ListingFactory(seller=seller)
    first, second = ListingPhotoFactory.create_batch(2, listing=listing)

    response = client.post(reverse("catalog:photo_remove", args=[first.pk]))

    assert response.url == edit_url(listing)
    assert list(listing.photos.values_list("pk", "position")) == [(second.pk, 0)]


@pytest.mark.parametrize("url_name", ["catalog:photo_move", "catalog:photo_remove"])
def test_another_sellers_photo_buttons_are_404(client, seller, url_name):
    """Another seller's photo cannot be moved or removed."""
    photo = ListingPhotoFactory(position=0)
    ListingPhotoFactory(listing=photo.listing, position=1)

    response = client.post(reverse(url_name, args=[photo.pk]), {"offset": "1"})

    assert response.status_code == 404
    assert ListingPhoto.objects.get(pk=photo.pk).position == 0


# --- Inventory --------------------------------------------------------------------------------
def test_inventory_warns_of_low_stock_and_counts_it(client, seller, settings):
    """Active listings with 1 to LOW_STOCK units are marked and counted; 0 and inactive are not."""
    settings.LOW_STOCK = 3
    ListingFactory(seller=seller, title="Three left", stock=3)
    ListingFactory(seller=seller, title="One left", stock=1)
    ListingFactory(seller=seller, title="Plenty", stock=4)
    ListingFactory(seller=seller, title="None", stock=0)
    ListingFactory(seller=seller, title="Off sale", stock=2, is_active=False)

    response = client.get(reverse("catalog:inventory"))

    body = response.content.decode()
    assert response.context["low_stock_count"] == 2
    assert body.count('data-testid="low-stock"') == 2
    assert "2 active listings with 3 units or fewer left" in body


def test_inventory_links_to_add_a_listing_and_to_each_edit_page(client, seller):
    """'Add a listing', and per row the full edit and the stock-and-price edit."""
    listing = ListingFactory(seller=seller)

    body = client.get(reverse("catalog:inventory")).content.decode()

    assert reverse("catalog:listing_create") in body
    assert edit_url(listing) in body
    assert reverse("catalog:inventory_edit", args=[listing.pk]) in body
