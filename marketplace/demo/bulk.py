"""
The benchmarks' bulk orders (`seed_demo --orders N`): N more orders, one in ten for
`buyer2`, one in two from `seller` (see crowd.py), spread over the demo sellers' listings
and the last 60 days, written with bulk_create for speed (100,000 in a minute or two).
Their states follow their age as in a real shop: the newest still unshipped or being
prepared, the older ones shipped and delivered. They reserve no stock: they stand for past
sales, and must not empty the shelves the demo and the benchmarks buy from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from cancellations.models import CancellationRequest
from catalog.models import Listing
from orders.models import (
    ActorRole,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from payments.gateway import DECLINED, DECLINES, decline_reason_for_buyer
from payments.models import Payment, PaymentTransaction, SandboxCharge

from .bulk_acts import CANCELLED_SHARE, DISPUTE_SHARE, REQUEST_SHARE, cancelled_at, create_acts
from .cast import ADDRESSES, SELLERS
from .crowd import SHOPPER_ADDRESS, Crowd, shoppers_for
from .story import CARRIERS

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Bulk orders are written this many at a time, one transaction per batch: big enough
# that 5,000 orders take seconds, small enough that a batch's rows stay small in memory
# and an interrupted run leaves only whole orders behind.
BULK_BATCH_SIZE = 500
BULK_DAYS = 60


def seed_bulk_orders(users: dict[str, User], count: int, *, progress: bool = True) -> None:
    """``count`` more orders, a batch at a time (thousands take a while: a bar on stderr)."""
    by_seller: dict[int, list[Listing]] = {}
    for listing in Listing.objects.filter(
        seller__user__username__in=[username for username, *_ in SELLERS], is_active=True
    ).select_related("seller"):
        by_seller.setdefault(listing.seller_id, []).append(listing)
    if not by_seller:
        raise CommandError("No demo listings to order from.")
    big = users["seller"].seller.pk
    sellers = sorted(by_seller, key=lambda seller_id: (seller_id != big, seller_id))
    crowd = Crowd(users["buyer2"], shoppers_for(count), sellers)
    # Seeded, so a benchmark database is the same from one run to the next.
    rng = random.Random(Order.objects.count())
    # disable=None: the bar only on a terminal, never a line per update in a log file.
    with tqdm(total=count, desc="orders", unit="order", disable=None if progress else True) as bar:
        for start in range(0, count, BULK_BATCH_SIZE):
            size = min(BULK_BATCH_SIZE, count - start)
            with transaction.atomic():
                BulkBatch(rng, crowd, by_seller).create(range(start, start + size))
            bar.update(size)


@dataclass
class BulkDraft:
    """One bulk order before it is written: its dates, state, lines and money."""

    buyer: User
    placed_at: datetime
    status: str
    lines: list[tuple[Listing, int]]
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    # What happened next (bulk_acts.py): a cancellation request's status, a case.
    request: str = ""
    dispute: bool = False
    payment: Payment | None = None
    order: Order | None = None
    order_lines: list[OrderLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((listing.price * quantity for listing, quantity in self.lines), Decimal(0))

    @property
    def handling_days(self) -> int:
        return max(listing.handling_days for listing, _quantity in self.lines)

    @property
    def paid(self) -> bool:
        return self.status != OrderStatus.PAYMENT_FAILED

    @property
    def cancelled(self) -> bool:
        return self.status == OrderStatus.CANCELLED

    @property
    def shipped(self) -> bool:
        return self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


class BulkBatch:
    """One batch of bulk orders: every row built in memory, then one INSERT per model."""

    def __init__(
        self, rng: random.Random, crowd: Crowd, listings: dict[int, list[Listing]]
    ) -> None:
        self.rng, self.crowd, self.listings = rng, crowd, listings
        self.now = timezone.now()

    def create(self, indexes: range) -> None:
        drafts = [self.draft(index) for index in indexes]
        self.create_payments(drafts)
        self.create_orders(drafts)
        self.create_lines(drafts)
        self.create_history(drafts)
        create_acts(drafts, self.now)

    def draft(self, index: int) -> BulkDraft:
        rng = self.rng
        age = timedelta(seconds=rng.uniform(60, BULK_DAYS * 24 * 3600))
        listings = self.listings[self.crowd.seller(index)]
        chosen = rng.sample(listings, k=rng.randint(1, min(3, len(listings))))
        draft = BulkDraft(
            buyer=self.crowd.buyer(index),
            placed_at=self.now - age,
            status=self.state_for(age),
            lines=[(listing, rng.randint(1, 3)) for listing in chosen],
        )
        if draft.shipped:
            # Most sellers ship within their handling time; a few are a day late.
            hours_to_ship = rng.uniform(2, 24 * (draft.handling_days + 1))
            draft.shipped_at = min(
                draft.placed_at + timedelta(hours=hours_to_ship), self.now - timedelta(minutes=1)
            )
        if draft.status == OrderStatus.DELIVERED:
            assert draft.shipped_at is not None  # delivered orders are shipped
            draft.delivered_at = min(draft.shipped_at + timedelta(days=rng.uniform(1, 5)), self.now)
        self.follow_up(draft, age)
        return draft

    def follow_up(self, draft: BulkDraft, age: timedelta) -> None:
        """A buyer's request on an order past its first hour, a case on a delivered one."""
        Status = CancellationRequest.Status
        if draft.cancelled or not draft.paid or age < timedelta(hours=1):
            return
        if self.rng.random() < REQUEST_SHARE:
            draft.request = Status.DECLINED if draft.shipped else Status.PENDING
        if draft.delivered_at and self.rng.random() < DISPUTE_SHARE:
            draft.dispute = True

    def state_for(self, age: timedelta) -> str:
        """What an order of this age usually is by now."""
        roll = self.rng.random()
        if age > timedelta(hours=1) and self.rng.random() < CANCELLED_SHARE:
            return OrderStatus.CANCELLED
        if age < timedelta(days=1):
            if roll < 0.03:
                return OrderStatus.PAYMENT_FAILED
            return OrderStatus.UNSHIPPED if roll < 0.7 else OrderStatus.PREPARING
        if age < timedelta(days=3):
            return OrderStatus.PREPARING if roll < 0.1 else OrderStatus.SHIPPED
        if age < timedelta(days=7):
            return OrderStatus.SHIPPED if roll < 0.4 else OrderStatus.DELIVERED
        return OrderStatus.DELIVERED

    def create_payments(self, drafts: list[BulkDraft]) -> None:
        """The payments, and the sandbox charges behind them, so later calls find them."""
        charges = []
        for draft in drafts:
            draft.payment, charge = self.payment(draft)
            if charge is not None:
                charges.append(charge)
        SandboxCharge.objects.bulk_create(charges)
        Payment.objects.bulk_create([draft.payment for draft in drafts if draft.payment])
        PaymentTransaction.objects.bulk_create(
            [row for draft in drafts for row in self.transactions(draft)]
        )

    def payment(self, draft: BulkDraft) -> tuple[Payment, SandboxCharge | None]:
        """The draft's payment, and the sandbox charge of a card that was not declined."""
        total = draft.total
        captured = total if draft.shipped else Decimal(0)
        voided = total if draft.cancelled else Decimal(0)
        charge = None
        if draft.paid:
            reference = f"ch_seed_{self.rng.getrandbits(96):024x}"
            charge = SandboxCharge(
                reference=reference,
                payment_method="pm_card_visa",
                amount_authorized=total,
                amount_captured=captured,
                amount_voided=voided,
            )
            status = Payment.Status.CAPTURED if captured else Payment.Status.AUTHORIZED
            status = Payment.Status.VOIDED if voided else status
        else:
            reference, status = "", Payment.Status.FAILED
        payment = Payment(
            amount=total,
            payment_method="pm_card_visa" if draft.paid else "pm_card_chargeDeclined",
            card_last4="4242" if draft.paid else "0002",
            charge_reference=reference,
            status=status,
            amount_authorized=total if draft.paid else Decimal(0),
            amount_captured=captured,
            amount_voided=voided,
        )
        return payment, charge

    @staticmethod
    def transactions(draft: BulkDraft) -> list[PaymentTransaction]:
        """The authorization (declined or not), then the void of a cancelled order or the
        capture of a shipped one."""
        payment = draft.payment
        assert payment is not None
        rows = [
            PaymentTransaction(
                payment=payment,
                kind=PaymentTransaction.Kind.AUTHORIZE,
                amount=payment.amount,
                idempotency_key=f"seed:authorize:{payment.pk}",
                status="succeeded" if draft.paid else "failed",
                gateway_reference=payment.charge_reference,
                error="" if draft.paid else "Your card was declined.",
                processed_at=draft.placed_at,
            )
        ]
        Kind = PaymentTransaction.Kind
        # What followed: the hold released on cancelling, the charge taken on shipping.
        for kind, amount, when in (
            (Kind.VOID, payment.amount_voided, cancelled_at(draft) if draft.cancelled else None),
            (Kind.CAPTURE, payment.amount_captured, draft.shipped_at if draft.shipped else None),
        ):
            if when is not None:
                rows.append(
                    PaymentTransaction(
                        payment=payment,
                        kind=kind,
                        amount=amount,
                        idempotency_key=f"seed:{kind}:{payment.pk}",
                        status="succeeded",
                        gateway_reference=payment.charge_reference,
                        processed_at=when,
                    )
                )
        return rows

    def create_orders(self, drafts: list[BulkDraft]) -> None:
        orders = []
        for draft in drafts:
            address = ADDRESSES.get(draft.buyer.username, SHOPPER_ADDRESS)
            ship_by = draft.placed_at + timedelta(days=draft.handling_days)
            draft.order = order = Order(
                buyer=draft.buyer,
                seller=draft.lines[0][0].seller,
                payment=draft.payment,
                status=draft.status,
                total=draft.total,
                placed_at=draft.placed_at,
                ship_by=ship_by,
                deliver_by=ship_by + timedelta(days=settings.DELIVERY_DAYS_AFTER_SHIPPING),
                ship_to_name=address.name,
                ship_to_line1=address.line1,
                ship_to_line2=address.line2,
                ship_to_city=address.city,
                ship_to_postcode=address.postcode,
                ship_to_country=address.country,
            )
            orders.append(order)
        Order.objects.bulk_create(orders)

    def create_lines(self, drafts: list[BulkDraft]) -> None:
        for draft in drafts:
            draft.order_lines = [
                OrderLine(
                    order=draft.order,
                    listing=listing,
                    title=listing.title,
                    unit_price=listing.price,
                    quantity=quantity,
                    quantity_shipped=quantity if draft.shipped else 0,
                    quantity_cancelled=quantity if draft.cancelled else 0,
                )
                for listing, quantity in draft.lines
            ]
        OrderLine.objects.bulk_create([line for draft in drafts for line in draft.order_lines])

    def create_history(self, drafts: list[BulkDraft]) -> None:
        """The timeline each state implies, and the shipment of what shipped."""
        events, shipments = [], []
        for draft in drafts:
            events.extend(self.payment_events(draft))
            if not draft.paid:
                continue
            if draft.status == OrderStatus.PREPARING:
                events.append(self.preparing_event(draft))
            if draft.shipped:
                shipment, shipped = self.shipment(draft)
                shipments.append(shipment)
                events.append(shipped)
            if draft.delivered_at:
                events.append(self.delivered_event(draft))
        Shipment.objects.bulk_create(shipments)
        OrderEvent.objects.bulk_create(events)
        shipment_of = {shipment.order_id: shipment for shipment in shipments}
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment_of[line.order_id], line=line, quantity=line.quantity)
            for draft in drafts
            for line in draft.order_lines
            if line.order_id in shipment_of
        )

    def payment_events(self, draft: BulkDraft) -> list[OrderEvent]:
        """Placed, then the card authorized or declined."""
        order = draft.order
        assert order is not None
        placed = OrderEvent(
            order=order,
            type=OrderEvent.Type.PLACED,
            actor_role=ActorRole.BUYER,
            actor_user=draft.buyer,
            summary=f"Order placed with {order.seller.store_name}.",
            payload={"total": str(order.total)},
            created_at=draft.placed_at,
        )
        if not draft.paid:
            declined = decline_reason_for_buyer(DECLINES[DECLINED][1])
            return [
                placed,
                OrderEvent(
                    order=order,
                    type=OrderEvent.Type.PAYMENT_FAILED,
                    actor_role=ActorRole.SYSTEM,
                    summary=f"Payment declined. {declined}",
                    created_at=draft.placed_at,
                ),
            ]
        authorized = OrderEvent(
            order=order,
            type=OrderEvent.Type.PAYMENT_AUTHORIZED,
            actor_role=ActorRole.SYSTEM,
            summary=f"Payment of ${order.total} authorized (card ending 4242).",
            created_at=draft.placed_at,
        )
        return [placed, authorized]

    def preparing_event(self, draft: BulkDraft) -> OrderEvent:
        order = draft.order
        assert order is not None
        return OrderEvent(
            order=order,
            type=OrderEvent.Type.PREPARING,
            actor_role=ActorRole.SELLER,
            actor_user=order.seller.user,
            summary="The seller is preparing your order.",
            created_at=min(draft.placed_at + timedelta(hours=1), self.now),
        )

    def shipment(self, draft: BulkDraft) -> tuple[Shipment, OrderEvent]:
        """One shipment of every unit, with a carrier and tracking number, and its event."""
        order, shipped_at = draft.order, draft.shipped_at
        assert order is not None and shipped_at is not None
        carrier = self.rng.choice(CARRIERS)
        shipment = Shipment(
            order=order,
            carrier=carrier,
            tracking_number=f"1Z{self.rng.getrandbits(48):012X}",
            shipped_at=shipped_at,
        )
        units = sum(quantity for _listing, quantity in draft.lines)
        shipped = OrderEvent(
            order=order,
            type=OrderEvent.Type.SHIPPED,
            actor_role=ActorRole.SELLER,
            actor_user=order.seller.user,
            summary=f"{units} item{'s' if units != 1 else ''} shipped with {carrier}.",
            created_at=shipped_at,
        )
        return shipment, shipped

    @staticmethod
    def delivered_event(draft: BulkDraft) -> OrderEvent:
        assert draft.delivered_at is not None
        return OrderEvent(
            order=draft.order,
            type=OrderEvent.Type.DELIVERED,
            actor_role=ActorRole.SYSTEM,
            summary="Your package was delivered.",
            created_at=draft.delivered_at,
        )
