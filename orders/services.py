"""
The only writers of orders: checkout, payment outcomes, preparing, shipping, messages.

Each service runs in its own transaction: lock the order row, then its lines by pk,
re-check the rule on the locked rows, transition, write the audit row, and leave
side effects (emails, gateway calls) to the outbox, which runs them after commit.
Gateway calls a person waits for (authorizing a card) run between two transactions,
never inside one; one that times out is retried through the outbox
(``AUTHORIZATION_RETRY``), which backs off and parks the message after its last try.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from accounts.selectors import has_verified_email
from catalog.models import Listing, ListingPhoto, Seller
from catalog.selectors import with_first_photos
from catalog.services import OutOfStock, reserve_stock
from core.money import MAX_CART_LINES, MAX_MONEY, MAX_QUANTITY_PER_LINE
from core.text import clean_text
from notifications import outbox
from payments import services as payments
from payments.cards import Card, given_card
from payments.gateway import GatewayTimeout, decline_reason_for_buyer
from payments.models import Payment, PaymentTransaction
from payments.signals import payment_action_failed, payment_hold_released

from . import events, notifications, selectors
from .actors import Actor
from .models import (
    MESSAGE_MAX_LENGTH,
    ActorRole,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)

logger = logging.getLogger(__name__)

# The outbox kind that retries an authorization the gateway did not answer.
AUTHORIZATION_RETRY = "orders.authorize"


class OrderError(Exception):
    """A rule said no. The message is for the person who asked."""


UNVERIFIED_EMAIL = (
    "Confirm your email address before you place an order: open the link in the email we sent you."
)


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postcode: str
    country: str = "US"
    line2: str = ""
    state: str = ""


def lock_order(order_id: int, *, skip_locked: bool = False) -> tuple[Order, list[OrderLine]]:
    """
    Lock the order row, then its lines by pk: one lock order everywhere, no deadlocks.

    With ``skip_locked`` an order someone else holds raises Order.DoesNotExist at once
    instead of waiting (the beat jobs: ``orders.jobs.lock_order_if_free``).
    """
    order = (
        Order.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("payment", "buyer", "seller__user")
        .get(pk=order_id)
    )
    lines = list(OrderLine.objects.select_for_update().filter(order=order).order_by("pk"))
    return order, lines


def check_actor(order: Order, actor: Actor, *roles: ActorRole) -> None:
    """
    OrderError unless ``actor`` plays one of ``roles`` on this order: a buyer only on
    their own order, a seller only on their store's. Checked on the locked row, whatever
    page or job asked (the views check it too, and answer 404 first).
    """
    if actor.role not in roles:
        raise OrderError("This is not yours to do on this order.")
    if not actor.plays_on(order):
        raise OrderError(f"Only the {actor.role.label.lower()} of this order can do this.")


def expected_status(order: Order, lines: list[OrderLine]) -> str | None:
    """The state the quantities call for once nothing is left open; None while some is."""
    if any(line.quantity_open for line in lines):
        return None
    if any(line.quantity_shipped for line in lines):
        return OrderStatus.SHIPPED
    return OrderStatus.CANCELLED


# --- Checkout ---------------------------------------------------------------------------
def placed_orders(*, buyer: User, checkout_token: uuid.UUID | None) -> list[Order]:
    """The orders an earlier submission of this checkout form placed (none for no token)."""
    if checkout_token is None:
        return []
    return list(Order.objects.filter(buyer=buyer, checkout_token=checkout_token).order_by("pk"))


def place_orders(
    *,
    buyer: User,
    items: dict[int, int],
    address: ShippingAddress,
    card_number: str | None = None,
    card: Card | None = None,
    checkout_token: uuid.UUID | None = None,
) -> list[Order]:
    """
    Turn a cart into one order per seller, reserve the stock, then authorize each
    order's payment on ``card`` (the Stripe form's) or ``card_number`` (the sandbox's).
    Raises OrderError (nothing is reserved or created) when a listing is unknown,
    deactivated, short of stock or the buyer's own, or when an order would come to more
    than a money column holds; PaymentError for a card number that cannot be a card.
    An order whose card's bank wants the buyer to confirm stays pending payment
    (``awaiting_authentication``).

    ``checkout_token`` names one submission of the checkout form: the same token again
    (a double-click, a resubmitted page) returns the orders it placed, placing nothing.
    """
    if already := placed_orders(buyer=buyer, checkout_token=checkout_token):
        return already
    _check_items(items)
    card = given_card(card=card, card_number=card_number)

    try:
        orders = _create_orders(
            buyer=buyer,
            items=items,
            address=address,
            card=card,
            checkout_token=checkout_token,
        )
    except IntegrityError:
        # The same submission raced this one past the check above and committed first
        # (the unique constraint waited for it): everything here was rolled back.
        if already := placed_orders(buyer=buyer, checkout_token=checkout_token):
            return already
        raise

    for order in orders:
        authorize_order(order_id=order.pk)
    # Read back once: authorization moved each order on since it was created.
    return list(Order.objects.filter(pk__in=[order.pk for order in orders]).order_by("pk"))


def _check_items(items: dict[int, int]) -> None:
    """OrderError unless the cart has lines, not too many, each of an allowed quantity."""
    if not items:
        raise OrderError("Your cart is empty.")
    if len(items) > MAX_CART_LINES:
        raise OrderError(f"You can check out at most {MAX_CART_LINES} different items at once.")
    for quantity in items.values():
        if not 0 < quantity <= MAX_QUANTITY_PER_LINE:
            raise OrderError(f"Each quantity must be between 1 and {MAX_QUANTITY_PER_LINE}.")


def _create_orders(
    *,
    buyer: User,
    items: dict[int, int],
    address: ShippingAddress,
    card: Card,
    checkout_token: uuid.UUID | None,
) -> list[Order]:
    """
    Reserve the stock and create one pending order per seller, all or nothing. Each line
    keeps its listing's title, price and first photo as they are now (docs/DESIGN.md §18).
    """
    with transaction.atomic():
        _check_buyer(buyer)
        # The first photos in one query for all the listings, never one per line.
        listings = with_first_photos(Listing.objects.select_related("seller")).in_bulk(list(items))
        packages = _packages(buyer=buyer, listings=listings, items=items)
        _reserve(listings, items)
        now = timezone.now()
        orders = []
        for seller, seller_listings, total in packages:
            order = _create_order(
                buyer=buyer,
                seller=seller,
                total=total,
                placed_at=now,
                handling_days=max(listing.handling_days for listing in seller_listings),
                address=address,
                card=card,
                checkout_token=checkout_token,
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    listing=listing,
                    title=listing.title,
                    image=photo_snapshot(listing),
                    unit_price=listing.price,
                    quantity=items[listing.pk],
                )
                for listing in seller_listings
            )
            events.order_placed(order, Actor.buyer(buyer))
            orders.append(order)
    return orders


def photo_snapshot(listing: Listing) -> str:
    """
    The file name of ``listing``'s first photo (prefetched by ``with_first_photos``), for
    its order line to keep: the file is never deleted, so the order goes on showing what
    was bought whatever the seller does to the listing's photos. "" without a photo.
    """
    first_photos: list[ListingPhoto] = listing.first_photos  # type: ignore[attr-defined]
    return (first_photos[0].image.name or "") if first_photos else ""


def _check_buyer(buyer: User) -> None:
    """
    Lock the buyer's row (closing an account locks it too, docs/DESIGN.md §16) and
    re-check under it that they may order: an open account whose email is confirmed.
    """
    if not User.objects.select_for_update().filter(pk=buyer.pk, is_active=True).exists():
        raise OrderError("This account is closed.")
    if not has_verified_email(buyer):
        raise OrderError(UNVERIFIED_EMAIL)


def _reserve(listings: dict[int, Listing], items: dict[int, int]) -> None:
    """Reserve the stock, in pk order so two checkouts of the same listings never deadlock."""
    for listing_id in sorted(items):
        try:
            reserve_stock(listing_id=listing_id, quantity=items[listing_id])
        except OutOfStock:
            listing = listings[listing_id]
            raise OrderError(
                f"Sorry, only {Listing.objects.get(pk=listing_id).stock} of "
                f"“{listing.title}” left in stock."
            ) from None


def _create_order(
    *,
    buyer: User,
    seller: Seller,
    total: Decimal,
    placed_at: datetime,
    handling_days: int,
    address: ShippingAddress,
    card: Card,
    checkout_token: uuid.UUID | None,
) -> Order:
    """One seller's pending order with its payment, to ship within its slowest handling time."""
    ship_by = placed_at + timedelta(days=handling_days)
    return Order.objects.create(
        buyer=buyer,
        seller=seller,
        payment=payments.create_payment(amount=total, card=card),
        total=total,
        placed_at=placed_at,
        ship_by=ship_by,
        deliver_by=ship_by + timedelta(days=settings.DELIVERY_DAYS_AFTER_SHIPPING),
        ship_to_name=address.name,
        ship_to_line1=address.line1,
        ship_to_line2=address.line2,
        ship_to_city=address.city,
        ship_to_state=address.state,
        ship_to_postcode=address.postcode,
        ship_to_country=address.country,
        checkout_token=checkout_token,
    )


def _packages(
    *, buyer: User, listings: dict[int, Listing], items: dict[int, int]
) -> list[tuple[Seller, list[Listing], Decimal]]:
    """
    The cart's listings grouped into one order per seller (by seller pk), each with its
    total; OrderError if a listing may not be bought by this buyer or a total is past
    what a money column holds.
    """
    by_seller = defaultdict(list)
    for listing_id in sorted(items):
        listing = listings.get(listing_id)
        if listing is None or not listing.is_active:
            raise OrderError("An item in your cart is no longer available.")
        if listing.is_sold_by(buyer):
            # An order to oneself would let a seller cancel it "as the buyer" and so
            # dilute their own cancellation rate.
            raise OrderError(
                f"“{listing.title}” is your own listing: remove it from your cart to check out."
            )
        by_seller[listing.seller].append(listing)
    packages = []
    for seller, seller_listings in sorted(by_seller.items(), key=lambda kv: kv[0].pk):
        total = sum((listing.price * items[listing.pk] for listing in seller_listings), Decimal(0))
        if total > MAX_MONEY:
            # Price and quantity caps keep a cart below this; a price set before the
            # caps (or past them, straight in the database) may not.
            raise OrderError(
                f"Your items from {seller.store_name} come to ${total:,}, more than one "
                f"order can take (${MAX_MONEY:,}): lower the quantities to check out."
            )
        packages.append((seller, seller_listings, total))
    return packages


def authorization_key(order_id: int, attempt: int) -> str:
    """
    The idempotency key of an order's payment authorization. One per attempt: a retry
    or a recovery of the same attempt reuses it, a revised payment gets a new one.
    """
    return f"authorize:order:{order_id}:{attempt}"


def authorize_order(*, order_id: int, card: Card | None = None) -> Order:
    """
    Ask the gateway to authorize the order's payment (on ``card`` when given, the
    revised one), then record the answer.

    The gateway call happens outside any transaction. A timeout leaves the order
    pending and queues a retry in the outbox, which asks again with the same
    idempotency key (so the card is never authorized twice), backs off, and gives up
    after its last attempt; a broker outage only delays it. A bank that wants the buyer
    to confirm (3-D Secure) leaves the order as it is, nothing recorded, until the
    buyer did (``finish_card_authentication``).
    """
    order = Order.objects.select_related("payment").get(pk=order_id)
    key = authorization_key(order.pk, order.payment_attempts)
    try:
        payments.authorize_payment(payment_id=order.payment_id, idempotency_key=key, card=card)
    except GatewayTimeout:
        with transaction.atomic():
            outbox.enqueue(AUTHORIZATION_RETRY, {"order_id": order_id, "idempotency_key": key})
        return order
    except payments.AuthenticationRequired:
        return order
    return record_authorization(order_id=order_id, idempotency_key=key)


@outbox.handler(AUTHORIZATION_RETRY)
def _retry_authorization(payload: dict[str, Any]) -> None:
    """Ask the gateway again with the same key; RetryLater while it does not answer."""
    order_id, key = payload["order_id"], payload["idempotency_key"]
    payment_id = Order.objects.values_list("payment_id", flat=True).get(pk=order_id)
    try:
        payments.authorize_payment(payment_id=payment_id, idempotency_key=key)
    except GatewayTimeout as timeout:
        raise outbox.RetryLater(str(timeout)) from timeout
    except payments.AuthenticationRequired:
        return  # the bank waits for the buyer to confirm: nothing to retry
    record_authorization(order_id=order_id, idempotency_key=key)


def awaiting_authentication(*, order_ids: Iterable[int]) -> list[Order]:
    """
    Of these orders, those whose current payment attempt waits for the buyer to confirm
    with their bank (3-D Secure): still waiting for payment, the attempt asked and not
    answered. (With the sandbox, or a timeout, this is an attempt whose answer is still
    to come: ``authentication_secrets`` asks the gateway which it is.) Two queries.
    """
    orders = list(
        Order.objects.filter(
            pk__in=list(order_ids),
            status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED],
        )
        .select_related("seller")
        .order_by("pk")
    )
    keys = {order.pk: authorization_key(order.pk, order.payment_attempts) for order in orders}
    answered = set(
        PaymentTransaction.objects.filter(idempotency_key__in=keys.values()).values_list(
            "idempotency_key", flat=True
        )
    )
    return [order for order in orders if keys[order.pk] not in answered]


def authentication_secrets(orders: Iterable[Order]) -> dict[int, str]:
    """
    Order id → the secret the buyer's browser confirms its payment with, for the orders
    (from ``awaiting_authentication``) whose bank wants the buyer to confirm. The gateway
    looks each key up; nothing changes.
    """
    secrets = {
        order.pk: payments.authentication_secret(
            idempotency_key=authorization_key(order.pk, order.payment_attempts)
        )
        for order in orders
    }
    return {order_id: secret for order_id, secret in secrets.items() if secret}


def finish_card_authentication(*, order_id: int, actor: Actor) -> Order:
    """
    The buyer's browser confirmed the payment with their bank (3-D Secure): ask the
    gateway again with the attempt's own key, which now answers, and record that answer
    as any other (authorized: the order goes on; declined: "Revise payment"). An attempt
    already answered (a second POST) is left as it is, so the card is authorized once.
    """
    order = Order.objects.get(pk=order_id)
    check_actor(order, actor, ActorRole.BUYER)
    if not awaiting_authentication(order_ids=[order.pk]):
        return order
    return authorize_order(order_id=order_id)


def record_authorization(*, order_id: int, idempotency_key: str) -> Order:
    """Move the order on from what the gateway answered (under the order's lock)."""
    with transaction.atomic():
        order, lines = lock_order(order_id)
        payment = Payment.objects.get(pk=order.payment_id)
        waiting = order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED)
        already_recorded = order.events.filter(type=OrderEvent.Type.PAYMENT_AUTHORIZED).exists()
        if payment.is_authorized and not already_recorded:
            _release_excess(payment, lines, waiting=waiting, idempotency_key=idempotency_key)
        if not waiting:
            return order
        if payment.is_authorized:
            _authorized(order, lines, payment)
        elif order.status == OrderStatus.PENDING_PAYMENT:
            _declined(order, payment)
        elif _revision_unanswered(order):
            events.revised_payment_declined(order)
        return order


def _revision_unanswered(order: Order) -> bool:
    """
    Whether the revised card's decline is still to be told: the timeline's latest payment
    event is the revision itself (a second recording of the same answer tells nothing new).
    """
    latest = selectors.latest_payment_event(order_id=order.pk)
    return latest is not None and latest.type == OrderEvent.Type.PAYMENT_REVISED


def _release_excess(
    payment: Payment, lines: list[OrderLine], *, waiting: bool, idempotency_key: str
) -> None:
    """
    Units cancelled while the card was being asked must not stay held on it, and an
    order cancelled meanwhile releases the whole authorization. Those cancellations
    queued their own releases: only what is still held and not claimed by them is
    released here, so no money is released twice.
    """
    still_owed = sum((line.subtotal_now for line in lines), Decimal(0))
    payments.release_unclaimed(
        payment_id=payment.pk,
        keep=still_owed if waiting else Decimal(0),
        idempotency_key=f"release-excess:{idempotency_key}",
    )


def _authorized(order: Order, lines: list[OrderLine], payment: Payment) -> None:
    """The order may ship: the buyer's confirmation and the seller's "ship these by" go out."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        order.authorize()
    else:
        order.revise_payment()
    order.save()
    events.payment_authorized(order, payment)
    notifications.order_placed(order, lines)


def _declined(order: Order, payment: Payment) -> None:
    """The first card was declined: the buyer is told why, and how long they may revise it."""
    order.decline_payment()
    order.save()
    # The gateway's own text (a risk rule, say) is for the log, not the buyer.
    failed = payment.transactions.filter(status=PaymentTransaction.Status.FAILED)
    error = failed.order_by("-pk").first()
    reason = decline_reason_for_buyer(error.error if error else "")
    events.payment_declined(order, reason=reason, revise_days=settings.PAYMENT_REVISE_DAYS)
    notifications.payment_declined(order, reason)


def payment_revision_deadline(order: Order) -> datetime:
    return order.placed_at + timedelta(days=settings.PAYMENT_REVISE_DAYS)


def revise_payment(
    *, order_id: int, card_number: str | None = None, card: Card | None = None, actor: Actor
) -> Order:
    """
    The buyer gives a new card (``card``, or the sandbox's ``card_number``) for a
    declined order, while the window is open. Raises PaymentError for a malformed card
    number before anything changes.
    """
    card = given_card(card=card, card_number=card_number)
    with transaction.atomic():
        order, _lines = lock_order(order_id)
        if order.status != OrderStatus.PAYMENT_FAILED:
            raise OrderError("This order's payment does not need revising.")
        if timezone.now() > payment_revision_deadline(order):
            raise OrderError("The time to revise this payment has passed.")
        # A new attempt gets a new idempotency key; a double-click reuses this one.
        order.payment_attempts += 1
        order.save(update_fields=["payment_attempts", "updated_at"])
        events.payment_revised(order, actor)
    return authorize_order(order_id=order_id, card=card)


# --- Seller fulfilment -------------------------------------------------------------------
def start_preparing(*, order_id: int, actor: Actor) -> Order:
    with transaction.atomic():
        order, _lines = lock_order(order_id)
        check_actor(order, actor, ActorRole.SELLER)
        if order.status != OrderStatus.UNSHIPPED:
            raise OrderError("Only an unshipped order can start preparing.")
        order.start_preparing()
        order.save()
        events.preparing(order, actor)
        return order


def confirm_shipment(
    *, order_id: int, quantities: dict[int, int], carrier: str, tracking_number: str, actor: Actor
) -> Shipment:
    """
    Ship ``quantities`` (line id → units) and capture the money for exactly what
    shipped (in the default "capture at shipment" mode).
    """
    with transaction.atomic():
        order, lines = lock_order(order_id)
        check_actor(order, actor, ActorRole.SELLER)
        if not order.awaiting_shipment:
            raise OrderError("This order cannot ship in its current state.")
        shipped = _shippable(lines, quantities)
        shipment = Shipment.objects.create(
            order=order, carrier=carrier, tracking_number=tracking_number
        )
        _ship_lines(shipment, shipped)
        if expected_status(order, lines) == OrderStatus.SHIPPED:
            order.ship_rest()
        else:
            order.ship_part()
        order.save()
        _schedule_capture(order, shipment, shipped)
        shipping = {line.pk: units for line, units in shipped.items()}
        events.shipment_confirmed(order, shipment, actor, shipping)
        notifications.order_shipped(order, shipment, sum(shipping.values()))
        return shipment


def _shippable(lines: list[OrderLine], quantities: dict[int, int]) -> dict[OrderLine, int]:
    """The locked lines to ship, each with its units; OrderError for what cannot ship."""
    by_id = {line.pk: line for line in lines}
    shipping = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not shipping:
        raise OrderError("Choose at least one item to ship.")
    for line_id, qty in shipping.items():
        line = by_id.get(line_id)
        if line is None:
            raise OrderError("An item is not part of this order.")
        if not 0 < qty <= line.quantity_open:
            raise OrderError(f"“{line.title}”: you can ship at most {line.quantity_open} more.")
    return {by_id[line_id]: qty for line_id, qty in shipping.items()}


def _ship_lines(shipment: Shipment, shipped: dict[OrderLine, int]) -> None:
    for line, qty in shipped.items():
        line.quantity_shipped += qty
    OrderLine.objects.bulk_update(shipped, ["quantity_shipped"])
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, line=line, quantity=qty) for line, qty in shipped.items()
    )


def _schedule_capture(order: Order, shipment: Shipment, shipped: dict[OrderLine, int]) -> None:
    """Capture exactly what shipped; OrderError (nothing ships) if the payment cannot pay it."""
    amount = sum((line.unit_price * qty for line, qty in shipped.items()), Decimal(0))
    try:
        payments.schedule_capture(
            payment_id=order.payment_id,
            amount=amount,
            idempotency_key=f"capture:shipment:{shipment.pk}",
        )
    except payments.PaymentError as error:
        # Shipping what the buyer's payment cannot pay for would give it away.
        logger.error("Order %s cannot capture %s: %s", order.number, amount, error.detail)
        raise OrderError(
            "The buyer's payment does not cover this shipment, so nothing was shipped. "
            "Please contact us."
        ) from None


def mark_delivered(*, order_id: int, actor: Actor) -> Order:
    with transaction.atomic():
        order, _lines = lock_order(order_id)
        check_actor(order, actor, ActorRole.SYSTEM)
        if order.status != OrderStatus.SHIPPED:
            raise OrderError("Only a shipped order can be delivered.")
        order.deliver()
        order.save()
        events.delivered(order, actor)
        return order


# --- Messages ---------------------------------------------------------------------------------
def post_message(*, order_id: int, body: str, actor: Actor) -> Message:
    """
    A buyer or the seller writes on the order; the other side gets an email, and the
    order says whether its buyer now waits for an answer. The order row is locked, so
    two messages at once are written one after the other, in the order of their times.
    """
    if not (body or "").strip():
        raise OrderError("Write a message first.")
    body = clean_text(
        body,
        what="message",
        max_length=MESSAGE_MAX_LENGTH,
        error=OrderError,
    )
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("buyer", "seller__user")
            .get(pk=order_id)
        )
        check_actor(order, actor, ActorRole.BUYER, ActorRole.SELLER)
        message = Message.objects.create(
            order=order, author=actor.person(), author_role=actor.role, body=body
        )
        refresh_buyer_waiting(order_id=order.pk)
        notifications.new_message(order, message)
        return message


def refresh_buyer_waiting(*, order_id: int) -> None:
    """
    Set ``buyer_waiting_since`` from the order's messages: the first buyer message no
    seller message follows, or none. Seller Central's badge, inbox and order rows read
    it instead of every message of the seller's orders. ``post_message`` calls it under
    the order's lock; the demo data after dating its messages back.
    """
    since = (
        selectors.unanswered_buyer_messages()
        .filter(order_id=order_id)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )
    Order.objects.filter(pk=order_id).update(buyer_waiting_since=since)


# --- Payment outcomes after the fact ----------------------------------------------------------
@receiver(payment_action_failed, dispatch_uid="orders.record_failed_payment_action")
def record_failed_payment_action(
    *, payment_transaction: PaymentTransaction, **kwargs: object
) -> None:
    """
    The gateway refused a capture, void or refund (in the transaction recording it):
    the timeline says so instead of leaving "refunded" standing; staff find the row
    under "needs attention" in the payments admin.
    """
    order = Order.objects.filter(payment_id=payment_transaction.payment_id).first()
    if order is None:
        return
    events.payment_action_failed(order, payment_transaction)


@receiver(payment_hold_released, dispatch_uid="orders.record_released_payment_hold")
def record_released_payment_hold(
    *, payment: Payment, amount: Decimal, expired: bool, **kwargs: object
) -> None:
    """
    The card's hold was released outside the portal (it expired, or was cancelled at
    Stripe), in the transaction recording it: the timeline says so, and that what still
    ships is charged to the card anew.
    """
    order = Order.objects.filter(payment_id=payment.pk).first()
    if order is None:
        return
    events.payment_hold_released(order, amount=amount, expired=expired)
