"""ListingAdmin: staff find listings; stock on an existing listing is not a form field."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Category, Listing
from tests.factories import ListingFactory, ListingPhotoFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


# The photo inline's management form: an admin change posts it with the listing's fields.
NO_PHOTOS = {"photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0"}


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_listing_changelist_searches_by_title_and_store(client, staff):
    """Search matches the title or the store name."""
    ListingFactory(title="Dot grid notebook", seller=SellerFactory(store_name="Paper Moon"))
    ListingFactory(title="Fountain pen", seller=SellerFactory(store_name="Ink Well"))
    url = reverse("admin:catalog_listing_changelist")

    by_title = client.get(url, {"q": "dot grid"})
    by_store = client.get(url, {"q": "ink well"})

    assert [o.title for o in by_title.context["cl"].result_list] == ["Dot grid notebook"]
    assert [o.title for o in by_store.context["cl"].result_list] == ["Fountain pen"]


def test_listing_changelist_filters_inactive(client, staff):
    """The Active filter narrows the list."""
    ListingFactory(title="On sale")
    ListingFactory(title="Withdrawn", is_active=False)

    response = client.get(reverse("admin:catalog_listing_changelist"), {"is_active__exact": "0"})

    assert [o.title for o in response.context["cl"].result_list] == ["Withdrawn"]


def test_admin_change_does_not_write_stock(client, staff):
    """Stock is read-only on an existing listing: saving other fields keeps the current stock."""
    listing = ListingFactory(title="Old", stock=5, price=Decimal("10.00"))
    url = reverse("admin:catalog_listing_change", args=[listing.pk])
    form = client.get(url).context["adminform"].form
    assert "stock" not in form.fields
    Listing.objects.filter(pk=listing.pk).update(stock=2)  # a checkout, meanwhile

    response = client.post(
        url,
        {
            "seller": listing.seller_id,
            "title": "New",
            "description": "",
            "price": "11.00",
            "handling_days": 2,
            "is_active": "on",
            "deactivated_reason": "",
            **NO_PHOTOS,
        },
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.price, listing.stock) == ("New", Decimal("11.00"), 2)


def post_price(client, listing, price):
    return client.post(
        reverse("admin:catalog_listing_change", args=[listing.pk]),
        {
            "seller": listing.seller_id,
            "title": listing.title,
            "description": "",
            "price": price,
            "handling_days": 2,
            "is_active": "on",
            "deactivated_reason": "",
            **NO_PHOTOS,
        },
    )


def test_admin_saves_the_highest_price(client, staff):
    """A price of exactly core.money.MAX_PRICE is accepted."""
    listing = ListingFactory(price=Decimal("10.00"))

    response = post_price(client, listing, "1000000.00")

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.price == Decimal("1000000.00")


def test_admin_refuses_a_price_past_the_cap(client, staff):
    """The price field's MaxValueValidator holds in admin's form: a form error, no change."""
    listing = ListingFactory(price=Decimal("10.00"))

    response = post_price(client, listing, "1000000.01")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price"] == ["Enter 1000000.00 or less."]
    listing.refresh_from_db()
    assert listing.price == Decimal("10.00")


@pytest.mark.parametrize(("field", "value"), [("price", "١١.٠٠"), ("handling_days", "1_0")])
def test_admin_change_refuses_digits_other_than_0_to_9(client, staff, field, value):
    """Price and handling days take the digits 0 to 9 only: a field error, nothing saved."""
    listing = ListingFactory(title="Old", price=Decimal("10.00"), handling_days=2)
    data = {
        "seller": listing.seller_id,
        "title": "New",
        "description": "",
        "price": "11.00",
        "handling_days": 3,
        "is_active": "on",
        "deactivated_reason": "",
        **NO_PHOTOS,
    }

    response = client.post(
        reverse("admin:catalog_listing_change", args=[listing.pk]), {**data, field: value}
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    listing.refresh_from_db()
    assert (listing.title, listing.price, listing.handling_days) == ("Old", Decimal("10.00"), 2)


def test_category_admin_fills_the_slug_from_the_name(client, staff):
    """The slug is prepopulated from the name; a category saved in admin keeps both."""
    page = client.get(reverse("admin:catalog_category_add"))
    response = client.post(
        reverse("admin:catalog_category_add"), {"name": "Garden tools", "slug": "garden-tools"}
    )

    assert page.context["adminform"].prepopulated_fields[0]["field"].name == "slug"
    assert response.status_code == 302
    assert Category.objects.filter(name="Garden tools", slug="garden-tools").exists()


def test_listing_admin_shows_its_photos_read_only(client, staff):
    """The photos inline shows each photo's thumbnail; photos are not added in admin."""
    photo = ListingPhotoFactory(position=0)

    response = client.get(reverse("admin:catalog_listing_change", args=[photo.listing_id]))

    body = response.content.decode()
    assert f'<img src="{photo.thumbnail.url}" width="96" height="96" alt="">' in body
    inline = response.context["inline_admin_formsets"][0]
    assert inline.has_add_permission is False


def test_seller_admin_shows_the_return_address_and_policies(client, staff):
    """A store's new details are in its admin page."""
    seller = SellerFactory(return_city="Dublin", policies="Weekdays only.")

    response = client.get(reverse("admin:catalog_seller_change", args=[seller.pk]))

    form = response.context["adminform"].form
    assert {"return_city", "return_country", "default_handling_days", "policies"} <= set(
        form.fields
    )
    assert form.initial["return_city"] == "Dublin"
