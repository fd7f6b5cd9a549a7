"""
The demo's story: the orders behind the walk-through in README.md (one of `buyer`'s in
every state a page shows) and eight weeks of both shops' past for Seller Central's health.

Each order is placed through the real services (checkout, preparing, shipping, delivery,
cancelling), then backdated so it shows the state it stands for. The story is seeded
once, when `buyer` has no orders yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services import cancel_items, request_cancellation
from catalog.models import Listing
from orders.actors import Actor
from orders.models import ActorRole, Message, Order, Shipment
from orders.services import (
    confirm_shipment,
    mark_delivered,
    place_orders,
    post_message,
    refresh_buyer_waiting,
    start_preparing,
)
from payments.models import Payment, PaymentTransaction

from .cast import (
    ADDRESSES,
    CUTTING_BOARD,
    DESK_LAMP,
    FOUNTAIN_PEN,
    GEL_PENS,
    KETTLE,
    KNIFE_SET,
    MUGS,
    NOTEBOOK,
    ORGANIZER,
    SKILLET,
    STICKY_NOTES,
    restock,
    seed_listings,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Stripe's test cards (see payments.gateway): the Visa that succeeds, and the card whose
# charges are declined, which the sandbox, Stripe's test mode and localstripe all decline.
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0341"

ALL = None  # ship every open unit
# Units of an order by listing title, or ALL.
Items = list[tuple[str, int]] | None


def history_orders() -> list[DemoOrder]:
    """
    Eight weeks of both shops' past, so Seller Central home has a story to tell:
    `regular` orders from each seller every day (more in the last week), shipped half a
    day later and delivered four days after that. `seller` cancels a few orders itself (no
    inventory, a pricing error, an adjustment, a late order the system cancelled) and
    so runs amber; its other cancellations came from buyers and do not count. `seller2`
    cancels nothing of its own: a healthy account.
    """
    cancellations = {  # days ago → (reason, who), for `seller`'s orders
        3: (Reason.NO_INVENTORY, "seller"),
        5: (Reason.CREATED_BY_MISTAKE, "buyer"),
        12: (Reason.PRICING_ERROR, "seller"),
        19: (Reason.FOUND_CHEAPER, "buyer"),
        26: (Reason.GENERAL_ADJUSTMENT, "seller"),
        33: (Reason.SHIPPING_DELAY, "system"),
        40: (Reason.NO_INVENTORY, "seller"),
        47: (Reason.SHIPPING_COST_TOO_HIGH, "buyer"),
    }
    shop_items = {"seller": [NOTEBOOK, GEL_PENS, STICKY_NOTES], "seller2": [MUGS, CUTTING_BOARD]}
    orders = []
    for days in range(56, 1, -1):  # oldest first, as it happened
        for shop, items in shop_items.items():
            per_day = 4 if days <= 7 else (1 if shop == "seller" else 2)
            for n in range(per_day):
                title = items[(days + n) % len(items)]
                cancelled = cancellations.get(days) if shop == "seller" and n == 0 else None
                shipped = cancelled is None
                orders.append(
                    DemoOrder(
                        "regular",
                        [(title, 1)],
                        placed=timedelta(days=days, hours=n),
                        # Shipped half a day after it was placed: on time.
                        shipments=[(timedelta(days=days, hours=n - 12), ALL)] if shipped else [],
                        delivered=timedelta(days=days - 5) if shipped and days > 5 else None,
                        cancelled=(
                            (timedelta(days=days, minutes=-10), ALL, *cancelled)
                            if cancelled
                            else None
                        ),
                    )
                )
    return orders


CARRIERS = ["UPS", "USPS", "FedEx"]


@dataclass(frozen=True)
class DemoOrder:
    """
    One checkout and what happened to it since. Ages are how long ago each step
    happened; ``late_by`` anchors the order on its ship-by date instead of on placing.
    """

    buyer: str
    items: list[tuple[str, int]]
    placed: timedelta | None = None
    late_by: timedelta | None = None
    card: str = GOOD_CARD
    preparing: timedelta | None = None
    shipments: list[tuple[timedelta, Items]] = field(default_factory=list)
    delivered: timedelta | None = None
    messages: list[tuple[timedelta, str, str]] = field(default_factory=list)
    # (age, items or ALL, reason): the buyer asks the seller to cancel (a pending request).
    request: tuple[timedelta, Items, str] | None = None
    # (age, items or ALL, reason, "buyer" | "seller" | "system"): units cancelled.
    cancelled: tuple[timedelta, Items, str, str] | None = None


DEMO_ORDERS = [
    # Unshipped, placed a minute ago: the buyer may still cancel directly. The cart
    # holds both sellers' items, so checkout splits it into two orders.
    DemoOrder("buyer", [(NOTEBOOK, 2), (GEL_PENS, 1), (MUGS, 1)], placed=timedelta(minutes=1)),
    # Unshipped, placed hours ago: past the direct-cancel window, cancelling is a request.
    DemoOrder("buyer", [(CUTTING_BOARD, 1)], placed=timedelta(hours=3)),
    # Preparing for shipment.
    DemoOrder(
        "buyer", [(FOUNTAIN_PEN, 1)], placed=timedelta(hours=26), preparing=timedelta(hours=20)
    ),
    # Partially shipped: the sticky notes went out, the lamp and organizer wait.
    DemoOrder(
        "buyer",
        [(STICKY_NOTES, 3), (DESK_LAMP, 1), (ORGANIZER, 1)],
        placed=timedelta(days=2),
        preparing=timedelta(hours=45),
        shipments=[(timedelta(days=1), [(STICKY_NOTES, 3)])],
        messages=[
            (timedelta(hours=20), "buyer", "Will the lamp ship soon? I need it for my new desk."),
            (
                timedelta(hours=18),
                "seller",
                "It ships tomorrow morning with the organizer. Thanks!",
            ),
        ],
    ),
    # Shipped, on its way.
    DemoOrder(
        "buyer",
        [(KETTLE, 1), (SKILLET, 1)],
        placed=timedelta(days=4),
        shipments=[(timedelta(days=2), ALL)],
    ),
    # Delivered.
    DemoOrder(
        "buyer",
        [(GEL_PENS, 2), (NOTEBOOK, 1)],
        placed=timedelta(days=12),
        preparing=timedelta(days=11, hours=22),
        shipments=[(timedelta(days=11), ALL)],
        delivered=timedelta(days=8),
    ),
    # Payment failed, still inside the revise-payment window.
    DemoOrder("buyer", [(SKILLET, 1)], placed=timedelta(hours=20), card=DECLINED_CARD),
    # Late: a day past ship-by and unshipped; the buyer may cancel at no cost.
    DemoOrder(
        "buyer",
        [(MUGS, 2)],
        late_by=timedelta(days=1),
        messages=[(timedelta(hours=10), "buyer", "My order is past its ship-by date. Any news?")],
    ),
    # A pending cancellation request: placed hours ago, the buyer asked an hour later.
    DemoOrder(
        "buyer",
        [(KNIFE_SET, 1), (MUGS, 2)],
        placed=timedelta(hours=6),
        request=(timedelta(hours=5), [(MUGS, 2)], Reason.FOUND_CHEAPER),
    ),
    # Cancelled by the buyer within the first minutes (the Cancelled tab).
    DemoOrder(
        "buyer",
        [(GEL_PENS, 3)],
        placed=timedelta(days=3),
        cancelled=(
            timedelta(days=3) - timedelta(minutes=10),
            ALL,
            Reason.CREATED_BY_MISTAKE,
            "buyer",
        ),
    ),
    # Late by more than AUTO_CANCEL_AFTER_DAYS: the beat job cancels it.
    DemoOrder("buyer", [(DESK_LAMP, 1)], late_by=timedelta(days=9)),
    # buyer2: another buyer's orders, which `buyer` must never see.
    DemoOrder("buyer2", [(KNIFE_SET, 1)], placed=timedelta(hours=5)),
    DemoOrder(
        "buyer2",
        [(FOUNTAIN_PEN, 1), (STICKY_NOTES, 1)],
        placed=timedelta(days=9),
        shipments=[(timedelta(days=8), ALL)],
        delivered=timedelta(days=5),
    ),
]


def seed_story(users: dict[str, User], *, history: bool = True) -> None:
    """The listings, then (once) the history and the walk-through's orders, oldest first."""
    listings = seed_listings(users)
    # The demo orders are seeded as a whole, once: `buyer` having any order means
    # they are there (or the demo user has made their own, which we keep).
    if Order.objects.filter(buyer=users["buyer"]).exists():
        return
    for number, demo in enumerate(history_orders() if history else []):
        # The sellers refill their shelves now and then, and always the one they
        # found empty.
        if number % 10 == 0:
            restock(listings)
        seed_order(users, listings, demo)
        if demo.cancelled and demo.cancelled[2] == Reason.NO_INVENTORY:
            restock(listings)
    restock(listings)
    for demo in DEMO_ORDERS:
        seed_order(users, listings, demo)


def seed_order(users: dict[str, User], listings: dict[str, Listing], demo: DemoOrder) -> None:
    """Place the order through checkout, walk it through its steps, then date each step."""
    now = timezone.now()
    buyer = users[demo.buyer]
    orders = place_orders(
        buyer=buyer,
        items={listings[title].pk: quantity for title, quantity in demo.items},
        address=ADDRESSES[demo.buyer],
        card_number=demo.card,
    )
    for order in orders:
        _OrderStory(order, demo, buyer, now).tell()


class _OrderStory:
    """One placed order walked through ``demo``'s steps, each dated as long ago as it says."""

    def __init__(self, order: Order, demo: DemoOrder, buyer: User, now: datetime) -> None:
        self.order, self.demo, self.buyer, self.now = order, demo, buyer, now
        self.seller = Actor.seller(order.seller.user)
        self.mark = 0  # the last event dated so far

    def tell(self) -> None:
        order, demo, now = self.order, self.demo, self.now
        if demo.late_by is not None:
            shift = (now - demo.late_by) - order.ship_by
        else:
            assert demo.placed is not None
            shift = (now - demo.placed) - order.placed_at
        backdate_order(order, shift)
        self.date_events(order.placed_at)
        if demo.preparing is not None:
            start_preparing(order_id=order.pk, actor=self.seller)
            self.date_events(now - demo.preparing)
        for number, (age, shipped) in enumerate(demo.shipments, start=1):
            self.ship(number, age, shipped)
        if demo.delivered is not None:
            mark_delivered(order_id=order.pk, actor=Actor.system())
            self.date_events(now - demo.delivered)
        if demo.cancelled is not None:
            self.cancel(*demo.cancelled)
        if demo.request is not None:
            self.request(*demo.request)
        self.post_messages()

    def date_events(self, when: datetime) -> None:
        self.mark = date_new_events(self.order, self.mark, when)

    def ship(self, number: int, age: timedelta, shipped: Items) -> None:
        order = self.order
        shipment = confirm_shipment(
            order_id=order.pk,
            quantities=demo_quantities(order, shipped),
            carrier=CARRIERS[order.pk % len(CARRIERS)],
            tracking_number=f"1ZDEMO{order.pk:06d}{number:02d}",
            actor=self.seller,
        )
        Shipment.objects.filter(pk=shipment.pk).update(shipped_at=self.now - age)
        self.date_events(self.now - age)

    def cancel(self, age: timedelta, items: Items, reason: str, role: str) -> None:
        actor = {"buyer": Actor.buyer(self.buyer), "seller": self.seller, "system": Actor.system()}
        self.act_back_then(age, cancel_items, Cancellation, items, reason, actor[role])

    def request(self, age: timedelta, items: Items, reason: str) -> None:
        buyer = Actor.buyer(self.buyer)
        self.act_back_then(age, request_cancellation, CancellationRequest, items, reason, buyer)

    def act_back_then(
        self,
        age: timedelta,
        act: Callable[..., object],
        written: type[Cancellation] | type[CancellationRequest],
        items: Items,
        reason: str,
        actor: Actor,
    ) -> None:
        """Cancel (or ask to) as the order stood ``age`` ago, and date what that wrote."""
        # The rules are checked now, so act before backdating puts it out of reach.
        with_order_dated(
            self.order,
            self.now - age,
            act,
            order_id=self.order.pk,
            quantities=demo_quantities(self.order, items),
            reason=reason,
            actor=actor,
        )
        written.objects.filter(order=self.order).update(created_at=self.now - age)
        self.date_events(self.now - age)

    def post_messages(self) -> None:
        order = self.order
        for age, role, body in self.demo.messages:
            author = self.buyer if role == "buyer" else order.seller.user
            message = post_message(
                order_id=order.pk, body=body, actor=Actor(ActorRole(role), author)
            )
            Message.objects.filter(pk=message.pk).update(created_at=self.now - age)
        if self.demo.messages:  # the buyer waits since the first unanswered one, as dated
            refresh_buyer_waiting(order_id=order.pk)


def demo_quantities(order: Order, items: Items) -> dict[int, int]:
    """The units of ``items`` by line id (every open unit for ALL)."""
    lines = {line.title: line for line in order.lines.all()}
    if items is ALL:
        return {line.pk: line.quantity_open for line in lines.values()}
    return {lines[title].pk: quantity for title, quantity in items}


def with_order_dated[T](order: Order, when: datetime, act: Callable[..., T], **kwargs: object) -> T:
    """
    Run ``act`` as if it were ``when``: the cancellation rules read the order's age,
    so shift the order to the age it had then, act, and shift it back.
    """
    shift = timezone.now() - when
    backdate_order(order, shift)
    try:
        return act(**kwargs)
    finally:
        backdate_order(order, -shift)


def backdate_order(order: Order, shift: timedelta) -> None:
    """Move the order's dates (and its payment's) by ``shift``, in the row and in ``order``."""
    placed_at = order.placed_at + shift
    Order.objects.filter(pk=order.pk).update(
        placed_at=placed_at, ship_by=order.ship_by + shift, deliver_by=order.deliver_by + shift
    )
    Payment.objects.filter(pk=order.payment_id).update(created_at=placed_at)
    PaymentTransaction.objects.filter(payment_id=order.payment_id).update(
        created_at=placed_at, processed_at=placed_at
    )
    order.placed_at, order.ship_by, order.deliver_by = (
        placed_at,
        order.ship_by + shift,
        order.deliver_by + shift,
    )


def date_new_events(order: Order, after_pk: int, when: datetime) -> int:
    """Date the events written since ``after_pk``; returns the last event's pk."""
    order.events.filter(pk__gt=after_pk).update(created_at=when)
    return order.events.order_by("-pk").values_list("pk", flat=True).first() or after_pk
