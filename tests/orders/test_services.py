"""The order services: checkout, payment outcomes, preparing, shipping, delivery, messages."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations.models import Reason
from cancellations.services import cancel_items
from catalog.models import Listing
from core.money import MAX_CART_LINES, MAX_MONEY, MAX_PRICE, MAX_QUANTITY_PER_LINE
from notifications import outbox
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.models import (
    ActorRole,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from orders.services import (
    AUTHORIZATION_RETRY,
    OrderError,
    authorization_key,
    authorize_order,
    confirm_shipment,
    mark_delivered,
    place_orders,
    post_message,
    revise_payment,
    start_preparing,
)
from payments import services as payment_services
from payments.errors import PaymentError
from payments.gateway import GatewayError, SandboxGateway, inject_timeouts
from payments.models import Payment, PaymentTransaction, SandboxCharge
from tests.factories import (
    ADDRESS,
    DECLINED_CARD,
    GOOD_CARD,
    INSUFFICIENT_FUNDS_CARD,
    ListingFactory,
    ListingPhotoFactory,
    SellerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

S = OrderStatus
E = OrderEvent.Type
BUYER, SELLER, SYSTEM = ActorRole.BUYER, ActorRole.SELLER, ActorRole.SYSTEM
CAPTURE = PaymentTransaction.Kind.CAPTURE
AUTHORIZE = PaymentTransaction.Kind.AUTHORIZE


# --- Helpers --------------------------------------------------------------------------------
def place(buyer, *items, card=GOOD_CARD) -> list[Order]:
    """Check out ``(listing, quantity)`` pairs."""
    return place_orders(
        buyer=buyer,
        items={listing.pk: quantity for listing, quantity in items},
        address=ADDRESS,
        card_number=card,
    )


def events(order) -> list[tuple[str, str]]:
    return list(order.events.order_by("pk").values_list("type", "actor_role"))


def status(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def stock(listing) -> int:
    return Listing.objects.values_list("stock", flat=True).get(pk=listing.pk)


def captures(order) -> list[Decimal]:
    return list(
        PaymentTransaction.objects.filter(payment_id=order.payment_id, kind=CAPTURE)
        .order_by("pk")
        .values_list("amount", flat=True)
    )


def nothing_created():
    return not any(
        model.objects.exists()
        for model in (Order, OrderLine, OrderEvent, Payment, PaymentTransaction, OutboxMessage)
    )


def snapshot(order) -> dict:
    """Everything a refused fulfilment call must leave as it was."""
    return {
        "status": status(order),
        "lines": list(
            order.lines.order_by("pk").values_list("quantity_shipped", "quantity_cancelled")
        ),
        "shipments": Shipment.objects.filter(order=order).count(),
        "shipment_lines": ShipmentLine.objects.filter(line__order=order).count(),
        "transactions": PaymentTransaction.objects.filter(payment_id=order.payment_id).count(),
        "events": events(order),
        "outbox": OutboxMessage.objects.count(),
        "attempts": Order.objects.values_list("payment_attempts", flat=True).get(pk=order.pk),
    }


@pytest.fixture
def notebook(seller):
    return ListingFactory(seller=seller, title="A5 notebook", price=Decimal("12.00"), stock=10)


@pytest.fixture
def pen(seller):
    return ListingFactory(seller=seller, title="Fountain pen", price=Decimal("30.00"), stock=10)


@pytest.fixture
def order(buyer, notebook, pen):
    """An authorized (unshipped) order: 2 notebooks and 3 pens."""
    [order] = place(buyer, (notebook, 2), (pen, 3))
    return order


def line_of(order, listing) -> OrderLine:
    return order.lines.get(listing=listing)


def ship(order, quantities, actor=None):
    return confirm_shipment(
        order_id=order.pk,
        quantities={line.pk: qty for line, qty in quantities},
        carrier="UPS",
        tracking_number="1Z999",
        actor=actor or Actor.seller(order.seller.user),
    )


# --- place_orders ---------------------------------------------------------------------------
def test_checkout_splits_the_cart_into_one_order_per_seller(buyer, notebook, pen):
    """Two sellers in one cart: two orders, each holding only its seller's lines and total."""
    kettle = ListingFactory(title="Kettle", price=Decimal("45.50"), stock=4)

    orders = place(buyer, (notebook, 2), (kettle, 1), (pen, 1))

    assert len(orders) == 2
    by_seller = {order.seller: order for order in orders}
    stationery, kitchen = by_seller[notebook.seller], by_seller[kettle.seller]
    assert sorted(stationery.lines.values_list("title", "quantity", "unit_price")) == [
        ("A5 notebook", 2, Decimal("12.00")),
        ("Fountain pen", 1, Decimal("30.00")),
    ]
    assert list(kitchen.lines.values_list("title", "quantity")) == [("Kettle", 1)]
    assert stationery.total == Decimal("54.00")
    assert kitchen.total == Decimal("45.50")
    assert {order.buyer for order in orders} == {buyer}
    assert Payment.objects.get(order=stationery).amount == Decimal("54.00")
    assert Payment.objects.get(order=kitchen).amount == Decimal("45.50")


def test_checkout_reserves_the_stock_it_sold(buyer, notebook, pen):
    """Each listing's stock goes down by exactly the quantity ordered."""
    place(buyer, (notebook, 3), (pen, 10))

    assert stock(notebook) == 7
    assert stock(pen) == 0


def test_each_line_keeps_its_listings_first_photo_as_bought(buyer, notebook, pen):
    """
    Given a listing with two photos and one without, when the cart is checked out, then
    the first's line keeps its lowest-positioned photo's file and the other's none.
    """
    ListingPhotoFactory(listing=notebook, position=1)
    first = ListingPhotoFactory(listing=notebook, position=0)

    (order,) = place(buyer, (notebook, 1), (pen, 1))

    assert dict(order.lines.values_list("listing_id", "image")) == {
        notebook.pk: first.image.name,
        pen.pk: "",
    }


def test_the_lines_photos_are_read_in_one_query_however_many_lines(buyer, seller):
    """Checkout reads the listings' first photos in one query for 1 line or 6, not one each."""

    def photo_queries(listings) -> int:
        with CaptureQueriesContext(connection) as queries:
            place(buyer, *((listing, 1) for listing in listings))
        return sum('FROM "catalog_listingphoto"' in query["sql"] for query in queries)

    one = [ListingPhotoFactory(listing=ListingFactory(seller=seller)).listing]
    six = [ListingPhotoFactory(listing=ListingFactory(seller=seller)).listing for _ in range(6)]

    assert photo_queries(one) == photo_queries(six) == 1


def test_ship_by_is_placed_plus_the_slowest_handling_time(buyer, seller, settings):
    """ship_by = placed_at + the largest handling days of the order's listings."""
    settings.DELIVERY_DAYS_AFTER_SHIPPING = 5
    quick = ListingFactory(seller=seller, handling_days=1)
    slow = ListingFactory(seller=seller, handling_days=3)
    other = ListingFactory(handling_days=2)
    before = timezone.now()

    orders = place(buyer, (quick, 1), (slow, 1), (other, 1))

    by_seller = {order.seller: order for order in orders}
    mine, theirs = by_seller[seller], by_seller[other.seller]
    assert before <= mine.placed_at <= timezone.now()
    assert mine.ship_by == mine.placed_at + timedelta(days=3)
    assert theirs.ship_by == theirs.placed_at + timedelta(days=2)
    assert mine.deliver_by == mine.ship_by + timedelta(days=5)


def test_checkout_with_a_good_card_authorizes_and_records_both_events(buyer, notebook):
    """A good card: the order is unshipped, its payment authorized, placed + authorized events."""
    [order] = place(buyer, (notebook, 2))

    assert status(order) == S.UNSHIPPED
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.amount_authorized == Decimal("24.00")
    assert payment.card_last4 == "4242"
    assert events(order) == [(E.PLACED, BUYER), (E.PAYMENT_AUTHORIZED, SYSTEM)]
    assert order.events.get(type=E.PLACED).actor_user == buyer
    assert SandboxCharge.objects.get(reference=payment.charge_reference).amount_authorized == (
        Decimal("24.00")
    )


def test_checkout_emails_the_buyer_and_the_seller_after_commit(
    buyer, notebook, django_capture_on_commit_callbacks
):
    """
    Once the checkout has committed and the card is authorized, the buyer gets the
    confirmation and the seller the new order to ship, by its ship-by day.
    """
    with django_capture_on_commit_callbacks(execute=True):
        [order] = place(buyer, (notebook, 1))

    assert [(email.to, email.subject.partition(":")[0]) for email in mail.outbox] == [
        ([buyer.email], f"Your order {order.number} is confirmed"),
        ([notebook.seller.user.email], f"New order {order.number}"),
    ]
    assert "ship by" in mail.outbox[1].subject


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        (DECLINED_CARD, "Your bank did not say why: try another card, or ask your bank."),
        (
            INSUFFICIENT_FUNDS_CARD,
            "Your bank says the card does not have enough funds for this order.",
        ),
    ],
)
def test_a_refused_card_leaves_the_order_payment_failed(
    buyer, notebook, card, reason, django_capture_on_commit_callbacks
):
    """Declined or short of funds: payment_failed, a failed event, and an email to the buyer."""
    with django_capture_on_commit_callbacks(execute=True):
        [order] = place(buyer, (notebook, 1), card=card)

    assert status(order) == S.PAYMENT_FAILED
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.FAILED
    assert events(order) == [(E.PLACED, BUYER), (E.PAYMENT_FAILED, SYSTEM)]
    assert reason in order.events.get(type=E.PAYMENT_FAILED).summary
    assert stock(notebook) == 9  # held while the buyer may still revise the payment
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Payment declined for order {order.number}"
    assert mail.outbox[0].to == [buyer.email]
    assert reason in mail.outbox[0].body


def test_a_gateways_own_refusal_reaches_the_buyer_in_plain_words(
    buyer, notebook, monkeypatch, django_capture_on_commit_callbacks
):
    """A refusal that is no card decline (a risk rule): the email and history never quote it."""
    monkeypatch.setattr(
        SandboxGateway,
        "authorize",
        lambda self, **kwargs: (_ for _ in ()).throw(GatewayError("risk rule R-17")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        [order] = place(buyer, (notebook, 1))

    summary = order.events.get(type=E.PAYMENT_FAILED).summary
    (email,) = mail.outbox
    for text in (summary, email.body):
        assert "Your bank did not accept the payment: try another card." in text
        assert "R-17" not in text


def test_no_email_is_sent_before_the_checkout_commits(buyer, notebook):
    """Inside the transaction the emails are only outbox rows; nothing is sent yet."""
    place(buyer, (notebook, 1))

    assert mail.outbox == []
    assert OutboxMessage.objects.filter(kind="notifications.email").count() == 2  # buyer, seller


def test_an_empty_cart_is_refused(buyer):
    """No items, no order."""
    with pytest.raises(OrderError, match="empty"):
        place_orders(buyer=buyer, items={}, address=ADDRESS, card_number=GOOD_CARD)

    assert nothing_created()


@pytest.mark.parametrize("quantity", [0, -1, 100])
def test_a_quantity_outside_1_to_99_is_refused(buyer, notebook, quantity):
    """Zero, negative and three-digit quantities create nothing and reserve nothing."""
    with pytest.raises(OrderError, match="between 1 and 99"):
        place(buyer, (notebook, quantity))

    assert nothing_created()
    assert stock(notebook) == 10


def test_an_unknown_listing_is_refused(buyer, notebook):
    """A listing id that does not exist fails the whole cart."""
    with pytest.raises(OrderError, match="no longer available"):
        place_orders(
            buyer=buyer,
            items={notebook.pk: 1, notebook.pk + 1000: 1},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )

    assert nothing_created()
    assert stock(notebook) == 10


def test_a_deactivated_listing_is_refused(buyer, notebook, pen):
    """A listing taken off sale fails the whole cart, even with stock left."""
    Listing.objects.filter(pk=pen.pk).update(is_active=False)

    with pytest.raises(OrderError, match="no longer available"):
        place(buyer, (notebook, 1), (pen, 1))

    assert nothing_created()
    assert (stock(notebook), stock(pen)) == (10, 10)


def test_more_than_the_stock_is_refused(buyer, notebook):
    """Asking for more than is on the shelf names what is left and reserves nothing."""
    Listing.objects.filter(pk=notebook.pk).update(stock=2)

    with pytest.raises(OrderError, match="only 2 of “A5 notebook” left"):
        place(buyer, (notebook, 3))

    assert nothing_created()
    assert stock(notebook) == 2


def test_a_short_second_listing_gives_the_first_its_stock_back(buyer, notebook):
    """The first listing was reserved before the second came up short: it is released."""
    short = ListingFactory(title="Desk lamp", stock=1)
    assert notebook.pk < short.pk  # reserved in pk order: the notebook goes first

    with pytest.raises(OrderError, match="only 1 of “Desk lamp”"):
        place(buyer, (notebook, 4), (short, 2))

    assert nothing_created()
    assert (stock(notebook), stock(short)) == (10, 1)


def test_an_invalid_card_number_creates_nothing(buyer, notebook):
    """A card number that fails the Luhn check is refused before any order exists."""
    with pytest.raises(PaymentError, match="valid card number"):
        place(buyer, (notebook, 1), card="4242 4242 4242 4241")

    assert nothing_created()
    assert stock(notebook) == 10


# --- No orders to oneself -------------------------------------------------------------------
def test_a_seller_cannot_order_their_own_listing(seller, notebook):
    """
    An order to oneself could be cancelled "by the buyer" to dilute the seller's own
    cancellation rate: the whole checkout is refused, nothing created or reserved.
    """
    kettle = ListingFactory(title="Kettle", stock=4)

    with pytest.raises(OrderError, match="“A5 notebook” is your own listing"):
        place(seller.user, (kettle, 1), (notebook, 2))

    assert nothing_created()
    assert (stock(kettle), stock(notebook)) == (4, 10)


def test_a_seller_still_buys_from_other_sellers(seller):
    """Only their own listings are refused: a seller is a buyer elsewhere."""
    kettle = ListingFactory(title="Kettle", stock=4)

    [order] = place(seller.user, (kettle, 1))

    assert (order.buyer, order.seller) == (seller.user, kettle.seller)
    assert stock(kettle) == 3


# --- The money bound (core/money.py) ------------------------------------------------------
def test_the_largest_cart_checks_out_inside_the_money_bound(buyer, seller):
    """
    50 listings × 99 units at the highest price: one order of 4,950,000,000.00 whose
    payment is authorized (a 10-digit payment column overflowed far below this).
    """
    listings = ListingFactory.create_batch(
        MAX_CART_LINES, seller=seller, price=MAX_PRICE, stock=MAX_QUANTITY_PER_LINE
    )

    [order] = place(buyer, *[(listing, MAX_QUANTITY_PER_LINE) for listing in listings])

    assert order.total == Decimal("4950000000.00")
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount == payment.amount_authorized == order.total
    assert status(order) == S.UNSHIPPED


def test_more_lines_than_a_cart_holds_are_refused(buyer, seller):
    """The line cap the bound relies on holds in the service too, not only in the cart."""
    listings = ListingFactory.create_batch(MAX_CART_LINES + 1, seller=seller)

    with pytest.raises(OrderError, match=f"at most {MAX_CART_LINES} different items"):
        place(buyer, *[(listing, 1) for listing in listings])

    assert nothing_created()


def test_an_order_of_exactly_the_bound_is_placed(buyer, notebook, pen):
    """A price set in the database past the cap (legacy data): an order of MAX_MONEY fits."""
    Listing.objects.filter(pk=notebook.pk).update(price=MAX_MONEY - pen.price)

    [order] = place(buyer, (notebook, 1), (pen, 1))

    assert order.total == MAX_MONEY == Decimal("9999999999.99")
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount == payment.amount_authorized == MAX_MONEY


@pytest.mark.parametrize(
    ("price", "quantity"),
    [
        (MAX_MONEY - Decimal("30.00") + Decimal("0.01"), 1),  # a cent past, with the pen
        (MAX_MONEY, 2),
        (Decimal("200000000.00"), 50),
    ],
)
def test_an_order_past_the_bound_is_refused_and_creates_nothing(
    buyer, notebook, pen, price, quantity
):
    """
    Legacy prices past the cap: an order over MAX_MONEY is refused with a message (not a
    database error), before anything is reserved.
    """
    Listing.objects.filter(pk=notebook.pk).update(price=price, stock=99)

    with pytest.raises(OrderError, match=r"more than one order can take \(\$9,999,999,999.99\)"):
        place(buyer, (notebook, quantity), (pen, 1))

    assert nothing_created()
    assert (stock(notebook), stock(pen)) == (99, 10)


# --- Gateway timeouts -------------------------------------------------------------------------
def test_a_gateway_timeout_leaves_the_order_pending_and_schedules_a_retry(
    buyer, notebook, django_capture_on_commit_callbacks
):
    """No answer from the gateway: the order waits in pending_payment; one retry is queued."""
    with inject_timeouts(1), django_capture_on_commit_callbacks() as callbacks:
        [order] = place(buyer, (notebook, 1))

    assert status(order) == S.PENDING_PAYMENT
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.PENDING
    assert not PaymentTransaction.objects.exists()
    assert not SandboxCharge.objects.exists()
    assert events(order) == [(E.PLACED, BUYER)]
    assert stock(notebook) == 9
    assert len(callbacks) == 1  # the retry task, queued once the checkout committed


def test_the_retry_after_a_timeout_authorizes_exactly_once(
    buyer, notebook, django_capture_on_commit_callbacks
):
    """The retry, and a second ask with the same key after it, hold the card once."""
    with inject_timeouts(1), django_capture_on_commit_callbacks() as callbacks:
        [order] = place(buyer, (notebook, 1))

    for retry in callbacks:
        retry()
    authorize_order(order_id=order.pk)

    assert status(order) == S.UNSHIPPED
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.amount_authorized == Decimal("12.00")
    assert PaymentTransaction.objects.filter(kind=AUTHORIZE).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert events(order) == [(E.PLACED, BUYER), (E.PAYMENT_AUTHORIZED, SYSTEM)]


def test_a_retry_that_times_out_again_still_changes_nothing(buyer, notebook):
    """Two timeouts in a row: still pending, nothing held, nothing recorded twice."""
    with inject_timeouts(2):
        [order] = place(buyer, (notebook, 1))
        authorize_order(order_id=order.pk)

    assert status(order) == S.PENDING_PAYMENT
    assert not SandboxCharge.objects.exists()
    assert not PaymentTransaction.objects.exists()
    assert events(order) == [(E.PLACED, BUYER)]

    authorize_order(order_id=order.pk)

    assert status(order) == S.UNSHIPPED
    assert SandboxCharge.objects.count() == 1
    assert events(order) == [(E.PLACED, BUYER), (E.PAYMENT_AUTHORIZED, SYSTEM)]


# --- revise_payment ---------------------------------------------------------------------------
@pytest.fixture
def failed_order(buyer, notebook):
    [order] = place(buyer, (notebook, 2), card=DECLINED_CARD)
    assert status(order) == S.PAYMENT_FAILED
    return order


def test_revising_with_a_good_card_authorizes_the_order(
    buyer, failed_order, django_capture_on_commit_callbacks
):
    """Within the window, a good card moves payment_failed → unshipped and emails both sides."""
    with django_capture_on_commit_callbacks(execute=True):
        revise_payment(order_id=failed_order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))

    assert status(failed_order) == S.UNSHIPPED
    payment = Payment.objects.get(pk=failed_order.payment_id)
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.amount_authorized == Decimal("24.00")
    assert payment.card_last4 == "4242"
    assert Order.objects.get(pk=failed_order.pk).payment_attempts == 2
    assert events(failed_order)[2:] == [(E.PAYMENT_REVISED, BUYER), (E.PAYMENT_AUTHORIZED, SYSTEM)]
    assert [email.subject.partition(":")[0] for email in mail.outbox] == [
        f"Your order {failed_order.number} is confirmed",
        f"New order {failed_order.number}",
    ]


def test_revising_with_another_declined_card_stays_payment_failed(buyer, failed_order):
    """A second decline keeps the order in payment_failed and says so on the timeline."""
    revise_payment(
        order_id=failed_order.pk, card_number=INSUFFICIENT_FUNDS_CARD, actor=Actor.buyer(buyer)
    )

    assert status(failed_order) == S.PAYMENT_FAILED
    assert Payment.objects.get(pk=failed_order.payment_id).status == Payment.Status.FAILED
    assert events(failed_order)[2:] == [(E.PAYMENT_REVISED, BUYER), (E.PAYMENT_FAILED, SYSTEM)]

    revise_payment(order_id=failed_order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))

    assert status(failed_order) == S.UNSHIPPED
    assert Order.objects.get(pk=failed_order.pk).payment_attempts == 3
    assert SandboxCharge.objects.count() == 1


def test_revising_after_the_window_is_refused(buyer, failed_order, settings):
    """Past PAYMENT_REVISE_DAYS the order can no longer be saved by a new card."""
    settings.PAYMENT_REVISE_DAYS = 3
    Order.objects.filter(pk=failed_order.pk).update(
        placed_at=timezone.now() - timedelta(days=3, minutes=1)
    )
    before = snapshot(failed_order)

    with pytest.raises(OrderError, match="time to revise"):
        revise_payment(order_id=failed_order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))

    assert snapshot(failed_order) == before
    assert not SandboxCharge.objects.exists()


def test_the_revise_window_follows_the_setting(buyer, failed_order, settings):
    """The same order is still revisable when the window is longer."""
    settings.PAYMENT_REVISE_DAYS = 5
    Order.objects.filter(pk=failed_order.pk).update(placed_at=timezone.now() - timedelta(days=4))

    revise_payment(order_id=failed_order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))

    assert status(failed_order) == S.UNSHIPPED


def test_revising_an_order_whose_payment_did_not_fail_is_refused(buyer, order):
    """Only a payment_failed order takes a new card."""
    before = snapshot(order)

    with pytest.raises(OrderError, match="does not need revising"):
        revise_payment(order_id=order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))

    assert snapshot(order) == before


def test_a_revision_that_times_out_keeps_the_new_card_for_the_retry(
    buyer, failed_order, django_capture_on_commit_callbacks
):
    """The gateway does not answer the new card: still payment_failed; the retry authorizes it."""
    with inject_timeouts(1), django_capture_on_commit_callbacks() as callbacks:
        revise_payment(order_id=failed_order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))

    assert status(failed_order) == S.PAYMENT_FAILED
    assert Payment.objects.get(pk=failed_order.payment_id).card_last4 == "4242"
    assert len(callbacks) == 1

    for retry in callbacks:
        retry()

    assert status(failed_order) == S.UNSHIPPED
    assert SandboxCharge.objects.count() == 1
    assert events(failed_order)[2:] == [(E.PAYMENT_REVISED, BUYER), (E.PAYMENT_AUTHORIZED, SYSTEM)]


def test_revising_with_an_invalid_card_number_changes_nothing(buyer, failed_order):
    """A card number that fails validation is refused before the attempt is recorded."""
    before = snapshot(failed_order)

    with pytest.raises(PaymentError, match="valid card number"):
        revise_payment(
            order_id=failed_order.pk, card_number="4242 4242 4242 4241", actor=Actor.buyer(buyer)
        )

    assert snapshot(failed_order) == before


# --- start_preparing ---------------------------------------------------------------------------
def test_the_seller_starts_preparing_an_unshipped_order(order):
    """unshipped → preparing, with one event by the seller."""
    start_preparing(order_id=order.pk, actor=Actor.seller(order.seller.user))

    assert status(order) == S.PREPARING
    assert events(order)[2:] == [(E.PREPARING, SELLER)]
    assert order.events.get(type=E.PREPARING).actor_user == order.seller.user


def test_preparing_twice_is_refused(order):
    """A second click on "Start preparing" is an error that changes nothing."""
    actor = Actor.seller(order.seller.user)
    start_preparing(order_id=order.pk, actor=actor)
    before = snapshot(order)

    with pytest.raises(OrderError, match="Only an unshipped order"):
        start_preparing(order_id=order.pk, actor=actor)

    assert snapshot(order) == before


def test_an_order_without_payment_cannot_start_preparing(failed_order):
    """payment_failed orders are not the seller's to pack yet."""
    before = snapshot(failed_order)

    with pytest.raises(OrderError):
        start_preparing(order_id=failed_order.pk, actor=Actor.seller(failed_order.seller.user))

    assert snapshot(failed_order) == before


# --- confirm_shipment --------------------------------------------------------------------------
def test_shipping_part_of_an_order_captures_what_shipped(order, notebook, pen):
    """Some units ship: partially_shipped, a shipment of those units, a capture of their value."""
    notebooks = line_of(order, notebook)

    shipment = ship(order, [(notebooks, 2), (line_of(order, pen), 1)])

    assert status(order) == S.PARTIALLY_SHIPPED
    assert list(order.lines.order_by("pk").values_list("quantity_shipped", flat=True)) == [2, 1]
    assert sorted(shipment.lines.values_list("line__title", "quantity")) == [
        ("A5 notebook", 2),
        ("Fountain pen", 1),
    ]
    assert (shipment.carrier, shipment.tracking_number) == ("UPS", "1Z999")
    assert captures(order) == [Decimal("54.00")]  # 2 × 12.00 + 1 × 30.00
    assert events(order)[2:] == [(E.SHIPPED, SELLER)]
    assert order.events.get(type=E.SHIPPED).payload["shipment"] == shipment.pk


def test_shipping_the_rest_ships_the_order_and_captures_the_rest(order, pen):
    """The last open units ship: shipped, and the captures add up to the order total."""
    pens = line_of(order, pen)
    ship(order, [(pens, 1)])

    ship(order, [(line_of(order, pen), 2), (order.lines.exclude(pk=pens.pk).get(), 2)])

    assert status(order) == S.SHIPPED
    assert captures(order) == [Decimal("30.00"), Decimal("84.00")]
    assert sum(captures(order)) == order.total
    assert [e for e in events(order) if e[0] == E.SHIPPED] == [(E.SHIPPED, SELLER)] * 2
    assert Shipment.objects.filter(order=order).count() == 2


def test_the_capture_reaches_the_gateway_after_commit(
    order, notebook, django_capture_on_commit_callbacks
):
    """Once the shipment commits, the outbox captures exactly the shipped value at the gateway."""
    with django_capture_on_commit_callbacks(execute=True):
        ship(order, [(line_of(order, notebook), 1)])

    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_captured == Decimal("12.00")
    assert payment.status == Payment.Status.PARTIALLY_CAPTURED
    assert SandboxCharge.objects.get(reference=payment.charge_reference).amount_captured == (
        Decimal("12.00")
    )
    assert PaymentTransaction.objects.get(kind=CAPTURE).status == "succeeded"
    assert [email.subject for email in mail.outbox] == [f"Order {order.number} has shipped"]
    assert mail.outbox[0].to == [order.buyer.email]


def test_shipping_everything_left_after_a_cancellation_ships_the_order(order, notebook, pen):
    """Cancelled units never ship: shipping all the rest moves the order to shipped."""
    OrderLine.objects.filter(pk=line_of(order, pen).pk).update(quantity_cancelled=3)

    ship(order, [(line_of(order, notebook), 2)])

    assert status(order) == S.SHIPPED
    assert captures(order) == [Decimal("24.00")]


def test_a_preparing_order_can_ship(order, notebook, pen):
    """Preparing is a shippable state."""
    start_preparing(order_id=order.pk, actor=Actor.seller(order.seller.user))

    ship(order, [(line_of(order, notebook), 2), (line_of(order, pen), 3)])

    assert status(order) == S.SHIPPED


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("above_open", "at most 2 more"),
        ("above_open_after_part_shipped", "at most 1 more"),
        ("zero", "at least one item"),
        ("negative", "at most 2 more"),
        ("nothing", "at least one item"),
        ("foreign_line", "not part of this order"),
    ],
)
def test_a_bad_shipment_is_refused_and_changes_nothing(buyer, order, notebook, pen, case, message):
    """Too many units, none, or another order's line: OrderError, and every row stays as it was."""
    notebooks = line_of(order, notebook)
    if case == "above_open_after_part_shipped":
        ship(order, [(notebooks, 1)])
    [other] = place(buyer, (notebook, 1))
    quantities = {
        "above_open": {notebooks.pk: 3},
        "above_open_after_part_shipped": {notebooks.pk: 2},
        "zero": {notebooks.pk: 0},
        "negative": {notebooks.pk: -1},
        "nothing": {},
        "foreign_line": {notebooks.pk: 1, other.lines.get().pk: 1},
    }[case]
    before, other_before = snapshot(order), snapshot(other)

    with pytest.raises(OrderError, match=message):
        confirm_shipment(
            order_id=order.pk,
            quantities=quantities,
            carrier="UPS",
            tracking_number="1Z999",
            actor=Actor.seller(order.seller.user),
        )

    assert snapshot(order) == before
    assert snapshot(other) == other_before


@pytest.mark.parametrize("state", ["pending", "payment_failed", "shipped", "delivered"])
def test_an_order_that_cannot_ship_refuses_a_shipment(buyer, notebook, state):
    """Unpaid, already shipped or delivered orders take no shipment."""
    if state == "pending":
        with inject_timeouts(1):
            [order] = place(buyer, (notebook, 2))
    elif state == "payment_failed":
        [order] = place(buyer, (notebook, 2), card=DECLINED_CARD)
    else:
        [order] = place(buyer, (notebook, 2))
        ship(order, [(order.lines.get(), 1)])
        ship(order, [(order.lines.get(), 1)])
        if state == "delivered":
            mark_delivered(order_id=order.pk, actor=Actor.system())
    before = snapshot(order)

    with pytest.raises(OrderError, match="cannot ship"):
        ship(order, [(order.lines.get(), 1)])

    assert snapshot(order) == before


# --- PAYMENT_CAPTURE = "checkout" -------------------------------------------------------------
def test_checkout_mode_captures_the_whole_amount_at_checkout(buyer, notebook, settings):
    """eBay's way: the full total is captured when the order is placed."""
    settings.PAYMENT_CAPTURE = "checkout"

    [order] = place(buyer, (notebook, 3))

    assert status(order) == S.UNSHIPPED
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.status == Payment.Status.CAPTURED
    assert payment.amount_captured == Decimal("36.00")
    assert captures(order) == [Decimal("36.00")]
    assert SandboxCharge.objects.get().amount_captured == Decimal("36.00")


def test_checkout_mode_schedules_no_capture_at_shipment(buyer, notebook, settings):
    """Shipping in checkout mode moves the order on but captures nothing more."""
    settings.PAYMENT_CAPTURE = "checkout"
    [order] = place(buyer, (notebook, 3))

    ship(order, [(order.lines.get(), 1)])
    ship(order, [(order.lines.get(), 2)])

    assert status(order) == S.SHIPPED
    assert captures(order) == [Decimal("36.00")]
    assert Payment.objects.get(pk=order.payment_id).amount_captured == Decimal("36.00")


def test_checkout_mode_retry_after_a_timeout_captures_once(buyer, notebook, settings):
    """A timed-out checkout, retried twice, captures the total exactly once."""
    settings.PAYMENT_CAPTURE = "checkout"
    with inject_timeouts(1):
        [order] = place(buyer, (notebook, 1))

    authorize_order(order_id=order.pk)
    authorize_order(order_id=order.pk)

    assert status(order) == S.UNSHIPPED
    assert captures(order) == [Decimal("12.00")]
    assert SandboxCharge.objects.get().amount_captured == Decimal("12.00")


# --- mark_delivered ----------------------------------------------------------------------------
def test_a_shipped_order_is_delivered(order, notebook, pen):
    """shipped → delivered, with one event by whoever reported it (the carrier: system)."""
    ship(order, [(line_of(order, notebook), 2), (line_of(order, pen), 3)])

    mark_delivered(order_id=order.pk, actor=Actor.system())

    assert status(order) == S.DELIVERED
    assert events(order)[2:] == [(E.SHIPPED, SELLER), (E.DELIVERED, SYSTEM)]


def test_an_order_not_fully_shipped_cannot_be_delivered(order, notebook):
    """Unshipped and partially shipped orders refuse delivery."""
    before = snapshot(order)
    with pytest.raises(OrderError, match="Only a shipped order"):
        mark_delivered(order_id=order.pk, actor=Actor.system())
    assert snapshot(order) == before

    ship(order, [(line_of(order, notebook), 1)])
    before = snapshot(order)
    with pytest.raises(OrderError, match="Only a shipped order"):
        mark_delivered(order_id=order.pk, actor=Actor.system())
    assert snapshot(order) == before


def test_delivering_twice_is_refused(order, notebook, pen):
    """A delivered order stays delivered, with one delivered event."""
    ship(order, [(line_of(order, notebook), 2), (line_of(order, pen), 3)])
    mark_delivered(order_id=order.pk, actor=Actor.system())

    with pytest.raises(OrderError):
        mark_delivered(order_id=order.pk, actor=Actor.system())

    assert [e for e in events(order) if e[0] == E.DELIVERED] == [(E.DELIVERED, SYSTEM)]


# --- post_message ------------------------------------------------------------------------------
def test_a_buyer_message_is_emailed_to_the_seller(buyer, order, django_capture_on_commit_callbacks):
    """The buyer writes; the message is stored and the seller gets it by email."""
    with django_capture_on_commit_callbacks(execute=True):
        message = post_message(
            order_id=order.pk, body="  Could you gift-wrap it?  ", actor=Actor.buyer(buyer)
        )

    stored = Message.objects.get(pk=message.pk)
    assert (stored.order, stored.author, stored.author_role) == (order, buyer, BUYER)
    assert stored.body == "Could you gift-wrap it?"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [order.seller.user.email]
    assert mail.outbox[0].subject == f"New message about order {order.number}"
    assert "Could you gift-wrap it?" in mail.outbox[0].body


def test_a_seller_message_is_emailed_to_the_buyer(buyer, order, django_capture_on_commit_callbacks):
    """The seller answers; the buyer gets the email."""
    with django_capture_on_commit_callbacks(execute=True):
        post_message(order_id=order.pk, body="Happy to.", actor=Actor.seller(order.seller.user))

    assert Message.objects.get().author_role == SELLER
    assert [email.to for email in mail.outbox] == [[buyer.email]]


@pytest.mark.parametrize("body", ["", "   \n\t "])
def test_an_empty_message_is_refused(buyer, order, body):
    """Blank messages are not stored and email nobody."""
    outbox_before = OutboxMessage.objects.count()

    with pytest.raises(OrderError, match="Write a message"):
        post_message(order_id=order.pk, body=body, actor=Actor.buyer(buyer))

    assert not Message.objects.exists()
    assert OutboxMessage.objects.count() == outbox_before


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ("Hello\x00there", "The message contains a character that cannot be saved."),
        ("x" * 2001, "The message must be at most 2000 characters."),
    ],
)
def test_a_message_postgres_cannot_store_or_past_its_length_is_refused(buyer, order, body, refusal):
    """
    Given a NUL character (PostgreSQL cannot store one) or more than the body holds, the
    service refuses it in words, whatever page or script sent it, and emails nobody.
    """
    outbox_before = OutboxMessage.objects.count()

    with pytest.raises(OrderError) as refused:
        post_message(order_id=order.pk, body=body, actor=Actor.buyer(buyer))

    assert str(refused.value) == refusal
    assert not Message.objects.exists()
    assert OutboxMessage.objects.count() == outbox_before


# --- Who may act ---------------------------------------------------------------------------------
# The views answer 404 first; the services check again on the locked row, so a job or a
# future page that forgets cannot act on someone else's order.
def someone_else(role):
    """A buyer or a seller who is not a party to the order under test."""
    return Actor.buyer(UserFactory()) if role == BUYER else Actor.seller(SellerFactory().user)


@pytest.mark.parametrize("role", [SELLER, BUYER])
def test_only_the_orders_seller_starts_preparing(order, role):
    before = snapshot(order)

    with pytest.raises(OrderError):
        start_preparing(order_id=order.pk, actor=someone_else(role))

    assert snapshot(order) == before


@pytest.mark.parametrize("role", [SELLER, BUYER])
def test_only_the_orders_seller_confirms_a_shipment(order, notebook, role):
    before = snapshot(order)

    with pytest.raises(OrderError):
        ship(order, [(line_of(order, notebook), 1)], actor=someone_else(role))

    assert snapshot(order) == before


@pytest.mark.parametrize(
    "actor",
    [
        lambda order: Actor.seller(order.seller.user),
        lambda order: Actor.buyer(order.buyer),
        lambda order: Actor.seller(SellerFactory().user),
    ],
    ids=["its-seller", "its-buyer", "another-seller"],
)
def test_only_the_carrier_feed_marks_an_order_delivered(order, notebook, pen, actor):
    """Delivery is the carrier's word (the system), not the seller's nor the buyer's."""
    ship(order, [(line_of(order, notebook), 2), (line_of(order, pen), 3)])
    before = snapshot(order)

    with pytest.raises(OrderError):
        mark_delivered(order_id=order.pk, actor=actor(order))

    assert snapshot(order) == before


@pytest.mark.parametrize("role", [SELLER, BUYER, SYSTEM])
def test_only_the_orders_buyer_and_seller_write_on_it(order, role):
    actor = Actor.system() if role == SYSTEM else someone_else(role)
    outbox_before = OutboxMessage.objects.count()

    with pytest.raises(OrderError):
        post_message(order_id=order.pk, body="Is this mine?", actor=actor)

    assert not Message.objects.exists()
    assert OutboxMessage.objects.count() == outbox_before
    assert Order.objects.get(pk=order.pk).buyer_waiting_since is None


# --- The audit trail ------------------------------------------------------------------------------
def test_a_full_life_writes_one_event_per_change_with_its_actor(buyer, notebook):
    """Declined, revised, prepared, shipped in two parts, delivered: one event per change."""
    [order] = place(buyer, (notebook, 3), card=DECLINED_CARD)
    revise_payment(order_id=order.pk, card_number=GOOD_CARD, actor=Actor.buyer(buyer))
    seller = Actor.seller(order.seller.user)
    start_preparing(order_id=order.pk, actor=seller)
    ship(order, [(order.lines.get(), 1)])
    ship(order, [(order.lines.get(), 2)])
    mark_delivered(order_id=order.pk, actor=Actor.system())

    assert events(order) == [
        (E.PLACED, BUYER),
        (E.PAYMENT_FAILED, SYSTEM),
        (E.PAYMENT_REVISED, BUYER),
        (E.PAYMENT_AUTHORIZED, SYSTEM),
        (E.PREPARING, SELLER),
        (E.SHIPPED, SELLER),
        (E.SHIPPED, SELLER),
        (E.DELIVERED, SYSTEM),
    ]
    assert status(order) == S.DELIVERED
    assert captures(order) == [Decimal("12.00"), Decimal("24.00")]
    assert PaymentTransaction.objects.filter(kind=CAPTURE).aggregate(total=Sum("amount")) == {
        "total": order.total
    }


# --- Money: a cancellation in the authorization gap is released once --------------------------
def authorize_at_the_gateway_only(order):
    """The first half of a retried authorization: the gateway's answer is committed, the
    order not yet moved on (what a cancellation can slip in between)."""
    payment_services.authorize_payment(
        payment_id=order.payment_id,
        idempotency_key=authorization_key(order.pk, order.payment_attempts),
    )


def cancel_as_buyer(order, quantities, callbacks):
    with callbacks(execute=True):
        return cancel_items(
            order_id=order.pk,
            quantities=quantities,
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(order.buyer),
        )


@pytest.mark.parametrize("capture", ["shipment", "checkout"])
def test_a_cancellation_between_authorizing_and_recording_is_released_once(
    buyer, notebook, settings, django_capture_on_commit_callbacks, capture
):
    """
    Given an order whose card the gateway authorized but whose order is still pending,
    when the buyer cancels one of three units and the authorization is then recorded,
    then that unit's money is released once and the other two stay held (or charged).
    """
    settings.PAYMENT_CAPTURE = capture
    with inject_timeouts(1):
        [order] = place(buyer, (notebook, 3))
    authorize_at_the_gateway_only(order)
    cancel_as_buyer(order, {order.lines.get().pk: 1}, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        authorize_order(order_id=order.pk)

    assert status(order) == S.UNSHIPPED
    payment = Payment.objects.get(pk=order.payment_id)
    released = payment.amount_voided + payment.amount_refunded
    assert released == Decimal("12.00")
    assert payment.amount_authorized - released == Decimal("24.00")
    charge = SandboxCharge.objects.get()
    assert charge.amount_voided + charge.amount_refunded == Decimal("12.00")


@pytest.mark.parametrize("capture", ["shipment", "checkout"])
def test_cancelling_everything_in_the_authorization_gap_releases_the_hold_once(
    buyer, notebook, settings, django_capture_on_commit_callbacks, capture
):
    """
    Given an order authorized at the gateway but not yet recorded, when the buyer cancels
    all of it and the authorization is then recorded, then nothing raises, the order is
    cancelled and the whole amount was released exactly once.
    """
    settings.PAYMENT_CAPTURE = capture
    with inject_timeouts(1):
        [order] = place(buyer, (notebook, 2))
    authorize_at_the_gateway_only(order)
    cancel_as_buyer(order, {order.lines.get().pk: 2}, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        authorize_order(order_id=order.pk)

    assert status(order) == S.CANCELLED
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_voided + payment.amount_refunded == Decimal("24.00")
    releases = PaymentTransaction.objects.filter(
        payment=payment, kind__in=[PaymentTransaction.Kind.VOID, PaymentTransaction.Kind.REFUND]
    )
    assert [row.status for row in releases] == [PaymentTransaction.Status.SUCCEEDED]


def test_after_a_cancellation_in_the_gap_the_rest_still_ships_and_is_captured(
    buyer, notebook, django_capture_on_commit_callbacks
):
    """
    Given one of three units cancelled in the authorization gap, when the seller ships
    the other two, then the capture succeeds for exactly those two.
    """
    with inject_timeouts(1):
        [order] = place(buyer, (notebook, 3))
    authorize_at_the_gateway_only(order)
    cancel_as_buyer(order, {order.lines.get().pk: 1}, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        authorize_order(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        ship(order, [(order.lines.get(), 2)])

    payment = Payment.objects.get(pk=order.payment_id)
    assert (payment.amount_captured, payment.amount_voided, payment.amount_open) == (
        Decimal("24.00"),
        Decimal("12.00"),
        Decimal("0.00"),
    )
    assert not PaymentTransaction.objects.filter(status=PaymentTransaction.Status.FAILED).exists()


# --- Money: authorization retries go through the outbox ----------------------------------------
def test_a_timed_out_authorization_is_retried_through_the_outbox(buyer, notebook):
    """
    Given the gateway times out at checkout, when the outbox delivers its retry message,
    then the same key authorizes the card once and the order moves on.
    """
    with inject_timeouts(1):
        [order] = place(buyer, (notebook, 1))
    message = OutboxMessage.objects.get(kind=AUTHORIZATION_RETRY)
    assert message.payload == {
        "order_id": order.pk,
        "idempotency_key": f"authorize:order:{order.pk}:1",
    }

    assert outbox.deliver(message.pk) is True

    assert status(order) == S.UNSHIPPED
    assert SandboxCharge.objects.count() == 1
    assert events(order) == [(E.PLACED, BUYER), (E.PAYMENT_AUTHORIZED, SYSTEM)]


def test_authorization_retries_back_off_and_stop_after_the_outbox_limit(buyer, notebook):
    """
    Given a gateway that never answers, when the outbox retries the authorization, then
    each attempt waits longer than the one before, and after the last one the message is
    parked for staff instead of retried forever; nothing was held on the card.
    """
    with inject_timeouts(1):
        [order] = place(buyer, (notebook, 1))
    message = OutboxMessage.objects.get(kind=AUTHORIZATION_RETRY)

    waits = []
    with inject_timeouts(10 * outbox.MAX_ATTEMPTS):
        for _ in range(outbox.MAX_ATTEMPTS):
            before = timezone.now()
            assert outbox.deliver(message.pk) is False
            message.refresh_from_db()
            waits.append(message.available_at - before)

    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == outbox.MAX_ATTEMPTS
    assert waits[1] > waits[0]
    assert status(order) == S.PENDING_PAYMENT
    assert not SandboxCharge.objects.exists()


# --- Money: a resubmitted checkout orders once -------------------------------------------------
def test_the_same_checkout_token_twice_places_the_orders_once(buyer, notebook, pen, seller2):
    """
    Given a checkout placed with a token, when the same token is submitted again (a
    double-click, a resubmitted page), then the first orders come back and nothing more
    is reserved, created or authorized.
    """
    token = uuid.uuid4()
    other = ListingFactory(seller=seller2, price=Decimal("5.00"), stock=10)
    items = {notebook.pk: 2, other.pk: 1}
    first = place_orders(
        buyer=buyer, items=items, address=ADDRESS, card_number=GOOD_CARD, checkout_token=token
    )

    again = place_orders(
        buyer=buyer, items=items, address=ADDRESS, card_number=GOOD_CARD, checkout_token=token
    )

    assert [order.pk for order in again] == [order.pk for order in first]
    assert Order.objects.count() == 2
    assert (stock(notebook), stock(other)) == (8, 9)
    assert SandboxCharge.objects.count() == 2


def test_another_buyers_token_does_not_reveal_their_orders(buyer, buyer2, notebook):
    """
    Given a checkout placed by one buyer, when another buyer submits the same token,
    then they get an order of their own and never the first buyer's.
    """
    token = uuid.uuid4()
    [mine] = place_orders(
        buyer=buyer,
        items={notebook.pk: 1},
        address=ADDRESS,
        card_number=GOOD_CARD,
        checkout_token=token,
    )

    [theirs] = place_orders(
        buyer=buyer2,
        items={notebook.pk: 1},
        address=ADDRESS,
        card_number=GOOD_CARD,
        checkout_token=token,
    )

    assert theirs.pk != mine.pk
    assert theirs.buyer == buyer2


# --- Money: refused money moves are visible, errors are typed ----------------------------------
@pytest.mark.parametrize(
    ("operation", "summary"),
    [
        ("void", "Releasing the $12.00 hold on your card failed."),
        ("refund", "Your refund of $12.00 failed."),
    ],
)
def test_a_refused_release_is_written_on_the_order_timeline(
    buyer, notebook, settings, monkeypatch, django_capture_on_commit_callbacks, operation, summary
):
    """
    Given a cancellation whose void (or, in checkout mode, refund) the gateway refuses,
    when the outbox runs it, then the transaction is failed, and the order's timeline says
    the money did not move and that the team was alerted, without the gateway's own words.
    """
    settings.PAYMENT_CAPTURE = "shipment" if operation == "void" else "checkout"
    [order] = place(buyer, (notebook, 2))
    monkeypatch.setattr(
        SandboxGateway,
        operation,
        lambda self, **kwargs: (_ for _ in ()).throw(GatewayError("risk rule R-17 locked ch_x")),
    )

    cancel_as_buyer(order, {order.lines.get().pk: 1}, django_capture_on_commit_callbacks)

    row = PaymentTransaction.objects.get(kind=operation)
    assert row.status == PaymentTransaction.Status.FAILED
    event = order.events.get(type=E.PAYMENT_ACTION_FAILED)
    assert event.actor_role == SYSTEM
    assert event.summary.startswith(summary)
    assert "team has been alerted" in event.summary
    assert "R-17" not in event.summary
    assert event.payload["transaction"] == row.pk


def test_a_refused_capture_is_written_on_the_order_timeline(
    buyer, notebook, monkeypatch, django_capture_on_commit_callbacks
):
    """
    Given a shipment whose capture the gateway refuses, when the outbox runs it, then the
    order's timeline records the failed charge for staff to follow up.
    """
    [order] = place(buyer, (notebook, 1))
    monkeypatch.setattr(
        SandboxGateway,
        "capture",
        lambda self, **kwargs: (_ for _ in ()).throw(GatewayError("expired authorization")),
    )

    with django_capture_on_commit_callbacks(execute=True):
        ship(order, [(order.lines.get(), 1)])

    assert order.events.filter(type=E.PAYMENT_ACTION_FAILED).count() == 1
    assert PaymentTransaction.objects.get(kind=CAPTURE).status == PaymentTransaction.Status.FAILED


def test_a_shipment_the_payment_cannot_cover_is_refused_with_a_plain_message(
    buyer, notebook, django_capture_on_commit_callbacks
):
    """
    Given an order whose hold was already released (the books do not add up), when the
    seller confirms a shipment, then it is an OrderError for the page (not a 500 from a
    ValueError), with no amounts in it, and nothing ships.
    """
    [order] = place(buyer, (notebook, 1))
    Payment.objects.filter(pk=order.payment_id).update(amount_voided=Decimal("12.00"))
    before = snapshot(order)

    with pytest.raises(OrderError, match="does not cover this shipment") as refused:
        ship(order, [(order.lines.get(), 1)])

    assert "12" not in str(refused.value)
    assert snapshot(order) == before


def test_payment_errors_are_their_own_type_not_value_errors():
    """Views catch PaymentError by name, so a ValueError bug is never shown as a card error."""
    assert not issubclass(PaymentError, ValueError)
