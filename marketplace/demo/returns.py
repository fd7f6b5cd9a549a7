"""
The demo's returns: `buyer` has a return in each state with `seller` (waiting for the
seller, authorized, on its way back, delivered back, refunded, closed), each on a
delivered order of its own, walked through the real services and then dated as long ago
as each step says, like the story's orders. Seeded once, like the demo orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from orders.actors import Actor
from orders.models import Order
from payments.models import PaymentTransaction
from returns import rules
from returns import services as returns
from returns.models import CloseReason, ItemCondition, ReturnReason, ReturnRequest

from .cases import charge_shipments
from .cast import (
    DESK_LAMP,
    FOUNTAIN_PEN,
    GEL_PENS,
    NOTEBOOK,
    ORGANIZER,
    STICKY_NOTES,
    seed_listings,
)
from .story import ALL, DemoOrder, date_new_events, seed_order

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A step's dates as of ``when``: what the step wrote, moved to when it happened.
Dates = Callable[[datetime], dict[str, object]]

# The steps a return may be walked through, in the order they happen.
REQUEST, AUTHORIZE, SHIP_BACK, DELIVER_BACK, RECEIVE, CLOSE = (
    "request",
    "authorize",
    "ship_back",
    "deliver_back",
    "receive",
    "close",
)


@dataclass(frozen=True)
class DemoReturn:
    """One unit of ``item`` bought and returned for ``reason``; each step with its age."""

    item: str
    reason: str
    note: str
    steps: list[tuple[str, timedelta]]
    opened: bool = False


H, D = timedelta(hours=1), timedelta(days=1)
RETURNS = [
    # Waiting for the seller: asked five hours ago, the answer is due in 43 hours.
    DemoReturn(NOTEBOOK, ReturnReason.BOUGHT_BY_MISTAKE, "", [(REQUEST, 5 * H)]),
    # Authorized yesterday: the buyer has the address and the number, and 13 days to ship.
    DemoReturn(
        GEL_PENS,
        ReturnReason.DEFECTIVE,
        "Four of the ten pens were dry out of the pack.",
        [(REQUEST, 2 * D), (AUTHORIZE, 1 * D)],
    ),
    # On its way back, with tracking.
    DemoReturn(
        STICKY_NOTES,
        ReturnReason.WRONG_ITEM,
        "Yellow notes came instead of the kraft ones.",
        [(REQUEST, 5 * D), (AUTHORIZE, 4 * D), (SHIP_BACK, 2 * D)],
    ),
    # Delivered back yesterday: the seller has two days left to mark it received.
    DemoReturn(
        FOUNTAIN_PEN,
        ReturnReason.NOT_AS_DESCRIBED,
        "The nib writes medium, not fine.",
        [(REQUEST, 9 * D), (AUTHORIZE, 8 * D), (SHIP_BACK, 6 * D), (DELIVER_BACK, 1 * D)],
    ),
    # Refunded less the restocking fee: opened, and no longer needed.
    DemoReturn(
        DESK_LAMP,
        ReturnReason.NO_LONGER_NEEDED,
        "",
        [
            (REQUEST, 14 * D),
            (AUTHORIZE, 13 * D),
            (SHIP_BACK, 12 * D),
            (DELIVER_BACK, 10 * D),
            (RECEIVE, 9 * D),
        ],
        opened=True,
    ),
    # Closed by the seller: the buyer may open a "Return refused" case.
    DemoReturn(
        ORGANIZER,
        ReturnReason.BOUGHT_BY_MISTAKE,
        "",
        [(REQUEST, 4 * D), (CLOSE, 3 * D)],
    ),
]
REFUSAL_NOTE = "The organizer that came back is oak, not our walnut: it was not sold here."


def seed_returns(users: dict[str, User]) -> None:
    """A return for each of RETURNS, on a delivered order of its own; none if `buyer` has one."""
    buyer = users["buyer"]
    if ReturnRequest.objects.filter(buyer=buyer).exists():
        return
    listings = seed_listings(users)
    for demo in RETURNS:
        seed_order(
            users,
            listings,
            DemoOrder(
                "buyer",
                [(demo.item, 1)],
                placed=timedelta(days=20),
                shipments=[(timedelta(days=18), ALL)],
                delivered=timedelta(days=16),
            ),
        )
        order = Order.objects.filter(buyer=buyer).latest("pk")
        charge_shipments(order)  # a refund gives back charged money
        _ReturnStory(order, demo).tell()


class _ReturnStory:
    """One return walked through its steps, each dated as long ago as it says."""

    def __init__(self, order: Order, demo: DemoReturn) -> None:
        self.order, self.demo, self.now = order, demo, timezone.now()
        self.buyer, self.seller = Actor.buyer(order.buyer), Actor.seller(order.seller.user)
        self.mark = order.events.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.return_id = 0

    def tell(self) -> None:
        for step, age in self.demo.steps:
            when = self.now - age
            dates: Dates = getattr(self, step)()
            ReturnRequest.objects.filter(pk=self.return_id).update(**dates(when))
            self.mark = date_new_events(self.order, self.mark, when)

    def request(self) -> Dates:
        line = self.order.lines.get()
        self.return_id = returns.request_return(
            order_id=self.order.pk,
            quantities={line.pk: 1},
            reason=self.demo.reason,
            note=self.demo.note,
            opened=self.demo.opened,
            actor=self.buyer,
        ).pk
        return lambda when: {"requested_at": when, "respond_by": rules.respond_by(when)}

    def authorize(self) -> Dates:
        returns.authorize_return(return_id=self.return_id, actor=self.seller)
        return lambda when: {"authorized_at": when, "ship_back_by": rules.ship_back_by(when)}

    def ship_back(self) -> Dates:
        returns.add_tracking(
            return_id=self.return_id,
            carrier="USPS",
            tracking_number=f"9400DEMO{self.order.pk:06d}",
            actor=self.buyer,
        )
        return lambda when: {"shipped_back_at": when}

    def deliver_back(self) -> Dates:
        returns.mark_delivered_back(return_id=self.return_id, actor=Actor.system())
        return lambda when: {"delivered_back_at": when, "receive_by": rules.receive_by(when)}

    def receive(self) -> Dates:
        fee = ReturnRequest.objects.get(pk=self.return_id).max_restocking_fee
        returns.receive_return(
            return_id=self.return_id,
            condition=ItemCondition.SELLABLE,
            restocking_fee=Decimal(fee),
            actor=self.seller,
        )

        def dates(when: datetime) -> dict[str, object]:
            key = returns.refund_key(ReturnRequest.objects.get(pk=self.return_id))
            PaymentTransaction.objects.filter(
                idempotency_key__in=[f"void:{key}", f"refund:{key}"]
            ).update(created_at=when)
            return {"received_at": when}

        return dates

    def close(self) -> Dates:
        returns.close_return(
            return_id=self.return_id,
            reason=CloseReason.NOT_SOLD_HERE,
            note=REFUSAL_NOTE,
            actor=self.seller,
        )
        return lambda when: {"closed_at": when}
