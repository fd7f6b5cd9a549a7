"""
Seller Central as one place (sellercentral/views/home.py, the seller_central template
tags, marketplace/context_processors.py): its home says what needs the seller, every
page of it carries its own navigation with the current section marked, and the badges
count what waits for the seller's answer in one query.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Reason
from cancellations.services import request_cancellation
from orders.actors import Actor
from orders.models import Message, OrderStatus
from orders.services import post_message
from sellercentral.selectors import WaitingCounts, waiting_counts
from tests.factories import ListingFactory, OrderFactory, SellerFactory

from .conftest import age

pytestmark = pytest.mark.django_db

HOME_URL = reverse("sellercentral:home")


@pytest.fixture
def waiting_buyers(place, buyer, seller):
    """One cancellation request and two orders whose buyer's message is unanswered."""
    asked = age(place(), hours=2)
    request_cancellation(
        order_id=asked.pk,
        quantities={asked.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    for _ in range(2):
        order = OrderFactory(buyer=buyer, seller=seller)
        post_message(order_id=order.pk, body="Any news?", actor=Actor.buyer(buyer))
    answered = OrderFactory(buyer=buyer, seller=seller)
    post_message(order_id=answered.pk, body="Gift wrap?", actor=Actor.buyer(buyer))
    post_message(order_id=answered.pk, body="Yes.", actor=Actor.seller(seller.user))


def section(html: str, label: str) -> str:
    """The <nav> labelled ``label`` on the page."""
    return html.split(f'aria-label="{label}"', 1)[1].split("</nav>", 1)[0]


# --- Home -----------------------------------------------------------------------------------------
def test_home_says_what_needs_the_seller_with_links(signed_in, seller, waiting_buyers):
    """
    Given a request waiting, two unanswered buyers and orders to ship (one of them past
    its ship-by date, one being prepared), the home page counts each and links to it.
    """
    late = OrderFactory(seller=seller, ship_by=timezone.now() - timedelta(hours=1))
    OrderFactory(seller=seller, status=OrderStatus.PREPARING)
    OrderFactory(seller=seller, status=OrderStatus.SHIPPED)
    assert late.is_late()

    html = signed_in.get(HOME_URL).content.decode()

    attention = html.split('data-testid="attention"', 1)[1].split("</ul>", 1)[0]
    assert "<h1>Seller Central</h1>" in html
    requests_url = reverse("sellercentral:requests")
    assert f'<a href="{requests_url}">1 cancellation request</a>' in attention
    messages_url = reverse("sellercentral:messages")
    assert f'<a href="{messages_url}">2 buyers</a>' in attention
    orders_url = reverse("sellercentral:orders")
    # 6 unshipped: the request's order and the messages' four, and the late one.
    assert f'<a href="{orders_url}?status=late">1 late</a>' in attention
    assert f'<a href="{orders_url}?status=unshipped">5 unshipped</a>' in attention
    assert f'<a href="{orders_url}?status=preparing">1 preparing</a>' in attention
    assert "partially shipped" not in attention
    assert "Performance against targets" in html  # account health follows


def test_home_with_nothing_waiting_says_so(signed_in):
    html = signed_in.get(HOME_URL).content.decode()
    assert "No cancellation request waits for your answer." in html
    assert "No buyer waits for your answer to a message." in html
    assert "No order waits to ship." in html
    assert "No return needs you." in html
    assert 'data-testid="seller-central-badge"' not in html


def test_home_counts_only_the_sellers_own(client, waiting_buyers):
    """Another seller sees none of this seller's requests, messages or orders."""
    client.force_login(SellerFactory().user)
    html = client.get(HOME_URL).content.decode()
    assert "No cancellation request waits for your answer." in html
    assert "No buyer waits for your answer to a message." in html
    assert "No order waits to ship." in html


# --- Navigation -----------------------------------------------------------------------------------
def test_main_nav_has_one_seller_central_entry_with_what_waits(signed_in, waiting_buyers):
    """The badge on the entry counts the request and the two buyers waiting."""
    main_nav = section(signed_in.get(reverse("home")).content.decode(), "Main navigation")
    entry = main_nav.split(f'href="{HOME_URL}"', 1)[1].split("</a>", 1)[0]
    assert entry.startswith(">Seller Central")
    assert 'data-testid="seller-central-badge">3<' in entry
    assert main_nav.count("Seller Central") == 1


@pytest.fixture
def pages(seller, place):
    """
    Every Seller Central page → (its URL, the section it is in, whether it is inside it,
    and what to post when the page is the answer to a form rather than a link).
    """
    order = place()
    listing = ListingFactory(seller=seller)
    bulk = {"orders": [order.pk], "reason": "customer_exchange", "note": ""}
    return {
        "home": (HOME_URL, "Home", False),
        "orders": (reverse("sellercentral:orders"), "Orders", False),
        "order": (order.get_seller_url(), "Orders", True),
        "cancel": (reverse("sellercentral:cancel_order", args=[order.number]), "Orders", True),
        "cancel-items": (
            reverse("sellercentral:cancel_items", args=[order.number]),
            "Orders",
            True,
        ),
        "bulk-review": (reverse("sellercentral:bulk_cancel"), "Orders", True, bulk),
        "ship": (reverse("sellercentral:confirm_shipment", args=[order.number]), "Orders", True),
        "requests": (reverse("sellercentral:requests"), "Requests", False),
        "messages": (reverse("sellercentral:messages"), "Messages", False),
        "inventory": (reverse("catalog:inventory"), "Inventory", False),
        "listing": (reverse("catalog:inventory_edit", args=[listing.pk]), "Inventory", True),
        "listing-edit": (reverse("catalog:listing_edit", args=[listing.pk]), "Inventory", True),
        "listing-new": (reverse("catalog:listing_create"), "Inventory", True),
        "store": (reverse("sellercentral:store"), "Store", False),
    }


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "orders",
        "order",
        "cancel",
        "cancel-items",
        "bulk-review",
        "ship",
        "requests",
        "messages",
        "inventory",
        "listing",
        "listing-edit",
        "listing-new",
        "store",
    ],
)
def test_every_seller_central_page_has_its_navigation_with_the_section_marked(
    signed_in, pages, page
):
    url, current, within, *posted = pages[page]

    response = signed_in.post(url, posted[0]) if posted else signed_in.get(url)

    assert response.status_code == 200
    nav = section(response.content.decode(), "Seller Central")
    links = [link.split("</a>", 1)[0] for link in nav.split("<a ")[1:]]
    assert [link.rsplit(">", 1)[1].strip() for link in links] == [
        "Home",
        "Orders",
        "Requests",
        "Messages",
        "Returns",
        "Inventory",
        "Store",
    ]
    marked = [link for link in links if "aria-current" in link]
    assert len(marked) == 1
    assert marked[0].endswith(f">{current}")
    assert f'aria-current="{"true" if within else "page"}"' in marked[0]


def test_sub_navigation_badges_count_requests_and_buyers_waiting(signed_in, waiting_buyers):
    nav = section(signed_in.get(reverse("sellercentral:orders")).content.decode(), "Seller Central")
    assert 'data-testid="request-badge">1<' in nav
    assert 'data-testid="message-badge">2<' in nav


def test_badges_are_counted_in_one_query(seller, waiting_buyers, django_assert_num_queries):
    other = SellerFactory()
    with django_assert_num_queries(1):
        counts = waiting_counts(seller_id=seller.pk)
    assert counts == WaitingCounts(requests=1, messages=2, returns=0)
    assert counts.total == 3
    assert waiting_counts(seller_id=other.pk) == WaitingCounts(0, 0, 0)
    assert Message.objects.filter(order__seller=seller).count() == 4


def test_a_buyer_sees_no_seller_central(client, buyer):
    client.force_login(buyer)
    html = client.get(reverse("home")).content.decode()
    assert "Seller Central" not in html
    assert Client().get(HOME_URL).status_code == 302
    assert client.get(HOME_URL).status_code == 403
