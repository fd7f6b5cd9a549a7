"""
Seller Central's cancellation forms under generated input (hypothesis), like the
buyer's (test_form_fuzz.py): Cancel → review, Confirm, Decline and bulk cancel get
whatever a browser, a proxy or an attacker could post. Never a server error; nothing
changes unless the post was valid, and then only the seller's own order changes.

Each example runs in a savepoint that is rolled back, so each starts from the same
fresh orders.
"""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.messages import SUCCESS, get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services.requests import request_cancellation
from catalog.models import Listing
from orders.actors import Actor
from orders.models import Order, OrderLine
from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory

from .test_form_fuzz import FUZZ_SETTINGS, NOTES, REASONS, TEXT, VALUES

pytestmark = pytest.mark.django_db

LINES = st.one_of(
    st.sampled_from(["open1", "open2", "foreign", "unknown"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
)
QUANTITIES = st.one_of(st.integers(-3, 5).map(str), VALUES)
SELLER_REASONS = st.one_of(
    st.sampled_from(["no_inventory", "general_adjustment", "customer_exchange", "buyer_cancelled"]),
    REASONS,
)
ORDER_IDS = st.one_of(st.sampled_from(["own", "foreign", "shipped"]), VALUES)
KEYS = st.one_of(st.binary(min_size=16, max_size=16).map(bytes.hex), TEXT)


class World:
    def __init__(self):
        self.seller = SellerFactory(user=UserFactory(username="fuzz-seller"))
        self.buyer = UserFactory(username="fuzz-buyer")
        self.listings = [
            ListingFactory(seller=self.seller, stock=10_000, price=Decimal(p))
            for p in ("12.50", "3.99")
        ]
        (self.foreign,) = place_orders(
            buyer=self.buyer,
            items={ListingFactory(stock=100).pk: 1},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )

    def fresh_order(self, *, with_request: bool) -> Order:
        (order,) = place_orders(
            buyer=self.buyer,
            items={self.listings[0].pk: 2, self.listings[1].pk: 3},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )
        if with_request:
            Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
            request_cancellation(
                order_id=order.pk,
                quantities={order.lines.order_by("pk").first().pk: 1},
                reason=Reason.FOUND_CHEAPER,
                actor=Actor.buyer(self.buyer),
            )
        order.refresh_from_db()
        return order

    def resolve(self, value, order):
        first, second = order.lines.order_by("pk")
        return {
            "open1": str(first.pk),
            "open2": str(second.pk),
            "foreign": str(self.foreign.lines.get().pk),
            "unknown": str(10**9),
            "own": str(order.pk),
            "shipped": str(self.foreign.pk),
        }.get(value, value)


def state():
    return (
        list(OrderLine.objects.order_by("pk").values_list("pk", "quantity_cancelled")),
        list(Order.objects.order_by("pk").values_list("pk", "status")),
        list(CancellationRequest.objects.order_by("pk").values_list("pk", "status")),
        list(Listing.objects.order_by("pk").values_list("pk", "stock", "is_active")),
        Cancellation.objects.count(),
    )


def post(world, url, pairs):
    client = Client()
    client.force_login(world.seller.user)
    return client.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded")


@st.composite
def cancel_posts(draw):
    pairs = []
    for prefix, line, value in draw(
        st.lists(st.tuples(st.sampled_from(["line", "qty"]), LINES, QUANTITIES), max_size=6)
    ):
        pairs.append(((prefix, line), value))
    pairs += [("reason", r) for r in draw(st.lists(SELLER_REASONS, min_size=0, max_size=2))]
    pairs += [("note", n) for n in draw(st.lists(NOTES, max_size=2))]
    pairs += [("idempotency_key", k) for k in draw(st.lists(KEYS, max_size=2))]
    return draw(st.permutations(pairs))


def run(world, endpoint, pairs_for, with_request):
    with transaction.atomic():
        order = world.fresh_order(with_request=with_request)
        pairs = pairs_for(order)
        before = state()
        response = post(world, endpoint(order), pairs)
        assert response.status_code < 500, pairs
        succeeded = any(m.level == SUCCESS for m in get_messages(response.wsgi_request))
        after = state()
        if not succeeded:
            assert after == before, pairs
        else:
            foreign_line = world.foreign.lines.get().pk
            assert dict(after[0])[foreign_line] == dict(before[0])[foreign_line]
            assert dict(after[1])[world.foreign.pk] == dict(before[1])[world.foreign.pk]
        transaction.set_rollback(True)


@pytest.mark.parametrize("step", ["cancel_order", "confirm_cancel"])
def test_cancel_and_confirm_never_fail_and_touch_only_the_sellers_order(step):
    world = World()

    @FUZZ_SETTINGS
    @given(posted=cancel_posts(), with_request=st.booleans())
    def check(posted, with_request):
        def pairs_for(order):
            return [
                (f"{k[0]}_{world.resolve(k[1], order)}" if isinstance(k, tuple) else k, v)
                for k, v in posted
            ]

        run(
            world,
            lambda order: reverse(f"sellercentral:{step}", args=[order.number]),
            pairs_for,
            with_request,
        )

    check()


def test_decline_never_fails_and_needs_a_note():
    world = World()

    @FUZZ_SETTINGS
    @given(notes=st.lists(st.tuples(st.sampled_from(["note", "r-note", "PREFIX"]), NOTES)))
    def check(notes):
        with transaction.atomic():
            order = world.fresh_order(with_request=True)
            pending = CancellationRequest.objects.get(order=order)
            pairs = [(f"r{pending.pk}-note" if k == "PREFIX" else k, v) for k, v in notes]
            before = state()
            response = post(
                world, reverse("sellercentral:decline_request", args=[pending.pk]), pairs
            )
            assert response.status_code < 500
            pending.refresh_from_db()
            if pending.status == CancellationRequest.Status.DECLINED:
                assert pending.response_note.strip()
                assert len(pending.response_note) <= 500
            else:
                assert state() == before
            transaction.set_rollback(True)

    check()


# What a bulk review's Confirm carries per order: the units it showed, item by item ("line
# id:units,…"); "REVIEWED" is what the review of a fresh order really shows.
SEEN = st.one_of(
    st.just("REVIEWED"),
    st.lists(st.tuples(LINES, st.integers(-3, 5)), max_size=3),
    VALUES,
)


@pytest.mark.parametrize("step", ["bulk_cancel", "bulk_confirm_cancel"])
def test_bulk_cancel_never_fails_and_never_touches_another_sellers_order(step):
    world = World()

    @FUZZ_SETTINGS
    @given(
        ids=st.lists(ORDER_IDS, max_size=5),
        reasons=st.lists(SELLER_REASONS, max_size=2),
        notes=st.lists(NOTES, max_size=2),
        seen=st.lists(st.tuples(ORDER_IDS, SEEN), max_size=3),
        keys=st.lists(KEYS, max_size=2),
    )
    def check(ids, reasons, notes, seen, keys):
        def pairs_for(order):
            return (
                [("orders", world.resolve(i, order)) for i in ids]
                + [("reason", r) for r in reasons]
                + [("note", n) for n in notes]
                + [(f"seen_{world.resolve(i, order)}", seen_value(v, order)) for i, v in seen]
                + [("idempotency_key", k) for k in keys]
            )

        def seen_value(value, order):
            if value == "REVIEWED":
                return ",".join(f"{line.pk}:{line.quantity_open}" for line in order.lines.all())
            if isinstance(value, list):
                return ",".join(f"{world.resolve(line, order)}:{qty}" for line, qty in value)
            return value

        run(world, lambda order: reverse(f"sellercentral:{step}"), pairs_for, False)

    check()
