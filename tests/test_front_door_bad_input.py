"""
The front door's forms (issue 20's pages: the account page, Start selling, the store's
settings, listing create and edit, photo moves, the Shop's search, sign up, sign in,
reset) answer hostile input with a form error, a redirect or a 4xx page, never a 500:
empty, a NUL, 20,000 characters, negative, 1e999, NaN, another script's digits, markup,
a number past 64 bits.
"""

import pytest
from django.urls import reverse

from accounts.models import Address
from tests.factories import ListingFactory, ListingPhotoFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db

BAD = [
    "",
    "\x00",
    "a" * 20000,
    "-1",
    "1e999",
    "NaN",
    "٣",
    "<script>x</script>",
    "99999999999999999999999",
]
STORE_FIELDS = [
    "store_name",
    "return_name",
    "return_line1",
    "return_city",
    "return_postcode",
    "return_country",
    "default_handling_days",
    "policies",
]


def server_errors(client, requests) -> list:
    """Each (method, url, data) that answered 5xx."""
    failed = []
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        if response.status_code >= 500:
            failed.append((method, url, {key: str(value)[:20] for key, value in data.items()}))
    return failed


def posts(url, fields):
    return [("post", url, dict.fromkeys(fields, bad)) for bad in BAD]


def test_a_sellers_forms_never_answer_a_500(client):
    seller = SellerFactory()
    listing = ListingFactory(seller=seller)
    photo = ListingPhotoFactory(listing=listing)
    address = Address.objects.create(
        user=seller.user, name="Sam", line1="1 Main St", city="Springfield", postcode="1"
    )
    client.force_login(seller.user)
    address_fields = ["name", "line1", "line2", "city", "state", "postcode", "country"]
    listing_fields = ["title", "description", "category", "condition", "price", "stock"]
    edit = reverse("catalog:listing_edit", args=[listing.pk])
    requests = [
        *posts(reverse("accounts:name"), ["first_name", "last_name"]),
        *posts(reverse("accounts:time_zone"), ["time_zone"]),
        *posts(reverse("accounts:address_add"), address_fields),
        *posts(reverse("accounts:address_edit", args=[address.pk]), address_fields),
        *posts(reverse("accounts:close"), ["username"]),
        *posts(reverse("catalog:listing_create"), [*listing_fields, "handling_days", "photos"]),
        *posts(edit, [*listing_fields, "handling_days", "stock_shown"]),
        *posts(reverse("catalog:photo_move", args=[photo.pk]), ["offset"]),
        *posts(reverse("sellercentral:store"), STORE_FIELDS),
        *[
            ("get", reverse("storefront:shop"), {name: bad})
            for bad in BAD
            for name in ("q", "category", "sort", "page")
        ],
    ]

    assert server_errors(client, requests) == []


def test_a_visitors_and_a_new_customers_forms_never_answer_a_500(client):
    UserFactory(username="bea")
    visitor = [("post", "/accounts/sign-in/", {"login": bad, "password": bad}) for bad in BAD] + [
        ("post", "/accounts/password/reset/", {"email": bad}) for bad in BAD
    ]
    signing_up = [
        ("post", "/accounts/signup/", dict.fromkeys(["email", "username", "password1"], bad))
        for bad in BAD
    ]
    assert server_errors(client, visitor + signing_up) == []

    client.force_login(UserFactory(username="cal"))
    assert server_errors(client, posts(reverse("sellercentral:start"), STORE_FIELDS)) == []
