"""
Checkout and "Revise payment" with a ``Card`` (orders/services.py), on both gateways, and
3-D Secure with the Stripe gateway against localstripe: a card whose bank wants the buyer
to confirm leaves the order pending with nothing recorded, and the same authorization,
asked again once the buyer confirmed, places the order once.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cancellations import jobs
from cancellations.models import Cancellation
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import (
    OrderError,
    authentication_secrets,
    authorization_key,
    awaiting_authentication,
    finish_card_authentication,
    place_orders,
    record_authorization,
    revise_payment,
)
from payments.cards import Card, card_from_number, stripe_card
from payments.models import Payment, PaymentTransaction, StripeCharge
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, UserFactory
from tests.stripe_cards import DECLINING, authenticate, saved_card, three_d_secure_method

pytestmark = pytest.mark.django_db

S = OrderStatus
E = OrderEvent.Type
AUTHORIZE = PaymentTransaction.Kind.AUTHORIZE


@pytest.fixture
def notebook(seller):
    return ListingFactory(seller=seller, title="Notebook", price="12.00", stock=10)


def card(buyer, gateway: str, *, declining: bool = False) -> Card:
    """The card the gateway's checkout form hands the service: typed, or saved at Stripe."""
    if gateway == "stripe":
        return stripe_card(
            saved_card(buyer, DECLINING if declining else "pm_card_visa"), user=buyer
        )
    return card_from_number("4000 0000 0000 0341" if declining else GOOD_CARD)


def place(buyer, listing, card: Card) -> Order:
    [order] = place_orders(buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card=card)
    return order


def three_d_secure_card(buyer) -> Card:
    return stripe_card(saved_card(buyer, three_d_secure_method()), user=buyer)


def events(order) -> list[str]:
    return list(order.events.order_by("pk").values_list("type", flat=True))


def refreshed(order) -> Order:
    return Order.objects.select_related("payment").get(pk=order.pk)


def secret_of(order) -> str:
    return authentication_secrets(awaiting_authentication(order_ids=[order.pk]))[order.pk]


# --- A Card on either gateway -------------------------------------------------------------------
def test_a_card_places_the_order_and_keeps_its_payment_method_and_last_four(
    gateway, buyer, notebook
):
    """Given the form's Card, the order is placed and its payment keeps what the card says."""
    given = card(buyer, gateway)

    order = refreshed(place(buyer, notebook, given))

    assert order.status == S.UNSHIPPED
    assert order.payment.status == Payment.Status.AUTHORIZED
    assert (order.payment.payment_method, order.payment.card_last4) == (
        given.payment_method,
        "4242",
    )
    assert awaiting_authentication(order_ids=[order.pk]) == []


def test_a_declined_card_is_the_decline_path_on_either_gateway(gateway, buyer, notebook):
    """Given a card the bank declines, the order fails payment and the buyer may revise it."""
    order = refreshed(place(buyer, notebook, card(buyer, gateway, declining=True)))

    assert order.status == S.PAYMENT_FAILED
    assert order.payment.card_last4 == "0341"
    assert events(order) == [E.PLACED, E.PAYMENT_FAILED]
    assert awaiting_authentication(order_ids=[order.pk]) == []


def test_a_revised_card_is_authorized_on_either_gateway(gateway, buyer, notebook):
    """Given a declined order, a revised Card authorizes it."""
    order = place(buyer, notebook, card(buyer, gateway, declining=True))

    revise_payment(order_id=order.pk, card=card(buyer, gateway), actor=Actor.buyer(buyer))

    order = refreshed(order)
    assert order.status == S.UNSHIPPED
    assert order.payment.card_last4 == "4242"


def test_a_revised_cards_decline_recorded_twice_is_told_once(buyer, notebook):
    """The same answer recorded again (two requests finishing at once) adds no second decline."""
    order = place(buyer, notebook, card(buyer, "sandbox", declining=True))
    revise_payment(
        order_id=order.pk, card=card(buyer, "sandbox", declining=True), actor=Actor.buyer(buyer)
    )

    record_authorization(order_id=order.pk, idempotency_key=authorization_key(order.pk, 2))

    assert events(order) == [E.PLACED, E.PAYMENT_FAILED, E.PAYMENT_REVISED, E.PAYMENT_FAILED]


# --- 3-D Secure (the Stripe gateway) ------------------------------------------------------------
@pytest.fixture
def waiting_order(stripe_gateway, buyer, notebook, mailoutbox, django_capture_on_commit_callbacks):
    """An order whose card's bank wants the buyer to confirm (3-D Secure)."""
    with django_capture_on_commit_callbacks(execute=True):  # what would be sent, is
        return place(buyer, notebook, three_d_secure_card(buyer))


def test_three_d_secure_leaves_the_order_pending_with_nothing_recorded(waiting_order, mailoutbox):
    """The bank asks the buyer: nothing is authorized, held, recorded or announced yet."""
    order = refreshed(waiting_order)

    assert order.status == S.PENDING_PAYMENT
    assert order.payment.status == Payment.Status.PENDING
    assert not PaymentTransaction.objects.exists()
    assert not StripeCharge.objects.exists()
    assert events(order) == [E.PLACED]
    assert mailoutbox == []
    assert awaiting_authentication(order_ids=[order.pk]) == [order]
    assert secret_of(order).startswith("pi_")


def test_confirmed_three_d_secure_places_the_order_once(
    stripe_gateway, waiting_order, buyer, mailoutbox, django_capture_on_commit_callbacks
):
    """Given the buyer confirmed, finishing authorizes with the same key; a repeat does nothing."""
    authenticate(stripe_gateway, secret_of(waiting_order), success=True)

    with django_capture_on_commit_callbacks(execute=True):
        finish_card_authentication(order_id=waiting_order.pk, actor=Actor.buyer(buyer))
        finish_card_authentication(order_id=waiting_order.pk, actor=Actor.buyer(buyer))

    order = refreshed(waiting_order)
    assert order.status == S.UNSHIPPED
    assert order.payment.amount_authorized == Decimal("12.00")
    assert list(order.payment.transactions.values_list("kind", "status")) == [
        (AUTHORIZE, PaymentTransaction.Status.SUCCEEDED)
    ]
    assert StripeCharge.objects.count() == 1
    assert events(order) == [E.PLACED, E.PAYMENT_AUTHORIZED]
    assert len([m for m in mailoutbox if m.to == [buyer.email]]) == 1  # "order placed", once
    assert awaiting_authentication(order_ids=[order.pk]) == []


def test_failed_three_d_secure_is_the_decline_path(stripe_gateway, waiting_order, buyer):
    """Given the buyer failed the bank's check, the order is declined once: Revise payment."""
    authenticate(stripe_gateway, secret_of(waiting_order), success=False)

    finish_card_authentication(order_id=waiting_order.pk, actor=Actor.buyer(buyer))
    finish_card_authentication(order_id=waiting_order.pk, actor=Actor.buyer(buyer))

    order = refreshed(waiting_order)
    assert order.status == S.PAYMENT_FAILED
    assert order.payment.status == Payment.Status.FAILED
    assert events(order) == [E.PLACED, E.PAYMENT_FAILED]
    assert (
        order.events.get(type=E.PAYMENT_FAILED)
        .payload["reason"]
        .startswith("Your bank asked you to confirm this payment")
    )
    assert not StripeCharge.objects.exists()


def test_finishing_before_the_buyer_confirmed_leaves_the_order_waiting(waiting_order, buyer):
    """Asked again before the buyer confirmed, the bank still waits: nothing changes."""
    secret = secret_of(waiting_order)

    finish_card_authentication(order_id=waiting_order.pk, actor=Actor.buyer(buyer))

    assert refreshed(waiting_order).status == S.PENDING_PAYMENT
    assert not PaymentTransaction.objects.exists()
    assert secret_of(waiting_order) == secret


def test_another_buyer_cannot_finish_the_authentication(stripe_gateway, waiting_order):
    """Only the order's buyer finishes it; anyone else is refused and nothing changes."""
    authenticate(stripe_gateway, secret_of(waiting_order), success=True)

    with pytest.raises(OrderError):
        finish_card_authentication(order_id=waiting_order.pk, actor=Actor.buyer(UserFactory()))

    assert refreshed(waiting_order).status == S.PENDING_PAYMENT
    assert not PaymentTransaction.objects.exists()


def test_a_revised_card_that_asks_for_three_d_secure_waits_then_is_authorized(
    stripe_gateway, buyer, notebook
):
    """Revise payment with a 3-D Secure card: the order waits, then goes on once confirmed."""
    order = place(buyer, notebook, card(buyer, "stripe", declining=True))

    revise_payment(order_id=order.pk, card=three_d_secure_card(buyer), actor=Actor.buyer(buyer))

    assert refreshed(order).status == S.PAYMENT_FAILED
    assert events(order) == [E.PLACED, E.PAYMENT_FAILED, E.PAYMENT_REVISED]
    authenticate(stripe_gateway, secret_of(order), success=True)
    finish_card_authentication(order_id=order.pk, actor=Actor.buyer(buyer))

    order = refreshed(order)
    assert order.status == S.UNSHIPPED
    assert order.payment.card_last4 == "3155"
    assert events(order) == [E.PLACED, E.PAYMENT_FAILED, E.PAYMENT_REVISED, E.PAYMENT_AUTHORIZED]


def test_a_revised_card_failing_three_d_secure_is_declined_once(stripe_gateway, buyer, notebook):
    """The revised card's failed check is told once, however often the page finishes."""
    order = place(buyer, notebook, card(buyer, "stripe", declining=True))
    revise_payment(order_id=order.pk, card=three_d_secure_card(buyer), actor=Actor.buyer(buyer))
    authenticate(stripe_gateway, secret_of(order), success=False)

    finish_card_authentication(order_id=order.pk, actor=Actor.buyer(buyer))
    finish_card_authentication(order_id=order.pk, actor=Actor.buyer(buyer))

    assert refreshed(order).status == S.PAYMENT_FAILED
    assert events(order) == [E.PLACED, E.PAYMENT_FAILED, E.PAYMENT_REVISED, E.PAYMENT_FAILED]


def test_an_order_never_confirmed_is_cancelled_when_its_window_closes(waiting_order, settings):
    """The buyer never confirmed: the unpaid-order job cancels it like any unpaid order."""
    later = timezone.now() + timedelta(days=settings.PAYMENT_REVISE_DAYS, minutes=1)

    assert jobs.cancel_unpaid_order(order_id=waiting_order.pk, now=later)

    assert refreshed(waiting_order).status == S.CANCELLED
    assert Cancellation.objects.filter(order=waiting_order).exists()
    assert not PaymentTransaction.objects.filter(kind=AUTHORIZE).exists()
