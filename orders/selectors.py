"""
The queries behind Your Orders and Seller Central's order pages.

Each one is scoped to its owner (a buyer's orders, a seller's orders), so a page can
never show someone else's order, and names the relations it needs, so a page makes
the same number of queries for 5 orders as for 200 (pinned by the query-count tests).
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import (
    Count,
    Exists,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.utils import timezone

from catalog.models import Seller
from core import caching, pagecache
from core.rowversions import Rows
from payments.gateway import decline_reason_for_buyer
from payments.models import PaymentTransaction
from payments.selectors import money_position, prefetched_claims

from .changelog import ORDER_LOG
from .filters import SellerOrderFilter, SellerOrderStatus
from .models import (
    OPEN_STATES,
    SHIPPABLE_STATES,
    ActorRole,
    Message,
    Order,
    OrderEvent,
    OrderStatus,
    Shipment,
    ShipmentLine,
)

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")
# A seller answers a buyer's message within this many hours: the messages inbox shows
# each thread's deadline, and account health measures the answers against it.
MESSAGE_ANSWER_HOURS = 24


class BuyerTab(models.TextChoices):
    """Your Orders' tabs, in the order they are shown."""

    # "open" names the default tab in bookmarks and links; it holds the current orders.
    OPEN = "open", "Current"
    CANCELLED = "cancelled", "Cancelled"
    ALL = "all", "All"

    @classmethod
    def clean(cls, tab: str | None) -> "BuyerTab":
        """The tab asked for, or Open for anything unknown (a bookmark, a typo)."""
        return cls(tab) if tab in cls.values else cls.OPEN


def _carded(queryset: QuerySet[Order], party: str) -> QuerySet[Order]:
    """
    An order card's or row's versions, its payment (what it returned moves the total)
    and the other party's name (``party``: "seller" on the buyer's cards, "buyer" on the
    seller's rows), without what only rendering reads: the cached cards need no more;
    ``prepare_cards`` fetches the rest for the others.
    """
    return queryset.select_related(party, "payment").order_by("-placed_at", "-pk")


def prepare_cards(orders: list[Order]) -> None:
    """What rendering a card or row reads beyond ``_carded``: the lines."""
    prefetch_related_objects(orders, "lines")


def _listed(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """What an order card or row shows: the parties, the payment and the lines."""
    return (
        queryset.select_related("seller", "payment", "buyer")
        .prefetch_related("lines")
        .order_by("-placed_at", "-pk")
    )


def _detailed(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """What an order page shows: the card's relations, plus timeline, messages, shipments."""
    return _listed(queryset).prefetch_related(
        # The money rows: the payment box says "being released" while a void is pending.
        "payment__transactions",
        "events",
        "messages",
        Prefetch(
            "shipments",
            queryset=Shipment.objects.prefetch_related(
                Prefetch("lines", queryset=ShipmentLine.objects.select_related("line"))
            ),
        ),
    )


@dataclass(frozen=True)
class OrderSummary:
    """
    What the order costs now, like Amazon's order summary: the items as ordered, what
    was cancelled, the total now, and what became of the money for the cancelled part.
    """

    items: Decimal
    cancelled: Decimal
    released: Decimal  # holds voided by the gateway
    refunded: Decimal  # charges refunded by the gateway
    releasing: Decimal  # voids written but not yet run (pending money rows)
    refunding: Decimal  # refunds written but not yet run
    on_hold: Decimal  # authorized, not captured, not released nor being released

    @property
    def refunded_on_kept(self) -> Decimal:
        """
        Money returned beyond what the cancellations returned: a refund on items sent back
        (a return) or kept (a Resolution Center case, decided or agreed). The cancelled
        part's money is returned too, so only what goes past it counts here; "Total now"
        subtracts it, so a refunded return lowers the total as soon as it is asked for.
        """
        return max(self.returned + self.returning - self.cancelled, ZERO)

    @property
    def total_now(self) -> Decimal:
        """What the buyer pays now: the items, less what was cancelled and refunded."""
        return self.items - self.cancelled - self.refunded_on_kept

    @property
    def changed(self) -> bool:
        """Something was cancelled or refunded: the original total no longer holds."""
        return self.total_now != self.items

    @property
    def returned(self) -> Decimal:
        """Released or refunded, done."""
        return self.released + self.refunded

    @property
    def returning(self) -> Decimal:
        """Being released or refunded: the gateway call is still pending."""
        return self.releasing + self.refunding


def order_summary(order: Order) -> OrderSummary:
    """
    The order's summary from its lines and money rows. Reads the prefetched lines; the
    pending voids and refunds come from the payment's prefetched transactions (the
    order page prefetches them) and count as none where they were not fetched (lists).
    """
    lines = order.lines.all()
    money = money_position(order.payment, prefetched_claims(order.payment))
    return OrderSummary(
        items=sum((line.unit_price * line.quantity for line in lines), ZERO),
        cancelled=sum((line.unit_price * line.quantity_cancelled for line in lines), ZERO),
        released=money.released,
        refunded=money.refunded,
        releasing=money.releasing,
        refunding=money.refunding,
        on_hold=money.on_hold,
    )


# --- Your Orders -----------------------------------------------------------------------
def current_orders(queryset: QuerySet[Order], now: datetime | None = None) -> QuerySet[Order]:
    """
    The orders a buyer still deals with: those that may still ship or be cancelled,
    those on their way, and those delivered within YOUR_ORDERS_DELIVERED_DAYS (where a
    buyer looks for an order to ask about or to open a case on). Delivery is the time
    of the order's "delivered" event: the promised date may be days off the real one.
    """
    since = (now or timezone.now()) - timedelta(days=settings.YOUR_ORDERS_DELIVERED_DAYS)
    delivered_lately = OrderEvent.objects.filter(
        order=OuterRef("pk"), type=OrderEvent.Type.DELIVERED, created_at__gte=since
    )
    return queryset.filter(
        Q(status__in=[*OPEN_STATES, OrderStatus.SHIPPED])
        | Q(Exists(delivered_lately), status=OrderStatus.DELIVERED)
    )


def current_tab_changes_at(*, buyer: User, now: datetime | None = None) -> datetime | None:
    """
    When the next delivered order leaves the buyer's Current tab, ``current_orders``'
    window after its delivery (or earlier, for an order delivered twice: a page kept
    until then is only rendered once more than it needed).
    """
    window = timedelta(days=settings.YOUR_ORDERS_DELIVERED_DAYS)
    first = OrderEvent.objects.filter(
        order__buyer=buyer,
        order__status=OrderStatus.DELIVERED,
        type=OrderEvent.Type.DELIVERED,
        created_at__gte=(now or timezone.now()) - window,
    ).aggregate(first=Min("created_at"))["first"]
    return first + window if first else None


def orders_for_buyer(*, buyer: User, tab: str) -> QuerySet[Order]:
    """The buyer's orders on a tab (Current, Cancelled or All), newest first."""
    queryset: QuerySet[Order] = Order.objects.filter(buyer=buyer)
    tab = BuyerTab.clean(tab)
    if tab == BuyerTab.OPEN:
        queryset = current_orders(queryset)
    elif tab == BuyerTab.CANCELLED:
        queryset = queryset.filter(status=OrderStatus.CANCELLED)
    return _carded(queryset, "seller")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class OrdersPage:
    """
    A page of Your Orders and where its "Newer orders" and "Older orders" links go:
    each an order's place in the list (``cursor``), or None when there is nothing
    that way. No page counts the buyer's orders (a buyer with 10,000 would pay for a
    COUNT on every view): like Amazon's, the pages say newer and older.
    """

    orders: list[Order]
    newer: str | None
    older: str | None


def cursor(order: Order) -> str:
    """An order's place in the newest-first list: its placing time (µs) and id."""
    return f"{(order.placed_at - EPOCH) // timedelta(microseconds=1)}.{order.pk}"


def _parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    """The place a link names; None for a missing or mangled one (the first page)."""
    try:
        micros, pk = (text or "").split(".")
        return EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def _older(orders: QuerySet[Order], place: tuple[datetime, int]) -> QuerySet[Order]:
    at, pk = place
    return orders.filter(Q(placed_at__lt=at) | Q(placed_at=at, pk__lt=pk))


def _newer(orders: QuerySet[Order], place: tuple[datetime, int]) -> QuerySet[Order]:
    """The orders newer than ``place``, oldest first (a page of them is read backwards)."""
    at, pk = place
    return orders.filter(Q(placed_at__gt=at) | Q(placed_at=at, pk__gt=pk)).order_by(
        "placed_at", "pk"
    )


def buyer_orders_page(
    *, orders: QuerySet[Order], size: int, older_than: str | None, newer_than: str | None
) -> OrdersPage:
    """
    ``size`` of ``orders`` (newest first, as ``orders_for_buyer`` gives them) after the
    place ``older_than`` names, or before ``newer_than``; the newest without either.
    One query, walking the index on (buyer, placed_at) from that place: the same cost
    on every page, however many orders the buyer has.
    """
    if (place := _parse_cursor(older_than)) is not None:
        rows = list(_older(orders, place)[: size + 1])
        shown = rows[:size]
        newer = cursor(shown[0]) if shown else None
        return OrdersPage(shown, newer, cursor(shown[-1]) if len(rows) > size else None)
    if (place := _parse_cursor(newer_than)) is not None:
        rows = list(_newer(orders, place)[: size + 1])
        shown = rows[:size][::-1]
        if len(rows) <= size:  # back at the newest: the first page, with its own links
            return buyer_orders_page(orders=orders, size=size, older_than=None, newer_than=None)
        return OrdersPage(shown, cursor(shown[0]), cursor(shown[-1]))
    rows = list(orders[: size + 1])
    return OrdersPage(rows[:size], None, cursor(rows[size - 1]) if len(rows) > size else None)


def order_for_buyer(*, buyer: User, number: str, detailed: bool = True) -> Order:
    """
    The buyer's order with this number; Order.DoesNotExist for anyone else's. Pages
    about its items only (Cancel Items) skip what only the order page shows: the
    timeline, messages, shipments and money rows (``detailed=False``).
    """
    queryset = Order.objects.filter(buyer=buyer)
    return (_detailed(queryset) if detailed else _listed(queryset)).get(number=number)


# What a page about an order shows that the order's change log (orders.changelog) does not
# count: its parties and the listings its lines came from.
ORDER_PATHS = ["buyer", "seller", "lines__listing"]


def rows_of_orders(relation: str = "", **roots: Any) -> Rows:
    """
    The rows of a page about orders (``roots``: Rows' ``roots`` or ``model``), or about
    rows pointing at an order along ``relation`` (a case, a request): each order's count
    in its change log, which covers all that belongs to it, and ``ORDER_PATHS``.
    """
    prefix = f"{relation}__" if relation else ""
    paths = [prefix + path for path in ORDER_PATHS]
    return Rows(**roots, log=ORDER_LOG, owner_path=relation, paths=paths)


# The buyer's order page and Cancel Items: the order with this number if it is theirs.
ORDER_PAGE_ROWS = rows_of_orders(
    roots=lambda buyer_id, number: Order.objects.filter(buyer_id=buyer_id, number=number)
)


def buyer_orders_by_number(*, buyer: User, numbers: list[str]) -> list[Order]:
    """
    The buyer's orders with these numbers, with their sellers, oldest first: another
    buyer's, or an unknown number, is simply not among them (the caller answers 404).
    """
    return list(
        Order.objects.filter(buyer=buyer, number__in=numbers)
        .select_related("seller")
        .order_by("pk")
    )


def last_shipping_address(*, buyer: User) -> dict[str, str]:
    """The address of the buyer's last order, as checkout's initial values ({} for none)."""
    fields = ["name", "line1", "line2", "city", "state", "postcode", "country"]
    last = (
        Order.objects.filter(buyer=buyer)
        .order_by("-placed_at", "-pk")
        .values(*(f"ship_to_{field}" for field in fields))
        .first()
    )
    return {field: last[f"ship_to_{field}"] for field in fields} if last else {}


PAYMENT_EVENTS = [
    OrderEvent.Type.PAYMENT_AUTHORIZED,
    OrderEvent.Type.PAYMENT_FAILED,
    OrderEvent.Type.PAYMENT_REVISED,
]


def latest_payment_event(*, order_id: int) -> OrderEvent | None:
    """The order's latest payment event: authorized, declined, or revised (still asking)."""
    return (
        OrderEvent.objects.filter(order_id=order_id, type__in=PAYMENT_EVENTS)
        .order_by("-pk")
        .first()
    )


@dataclass(frozen=True)
class PaymentDecline:
    """The bank's answer to the order's latest payment attempt, when it was a decline."""

    card_last4: str
    reason: str  # in the buyer's words
    again: bool  # a card the buyer gave in place of a declined one was declined too


def payment_decline(order: Order) -> PaymentDecline | None:
    """
    Why the order's latest card was declined; None when it was not (authorized, or a
    revised card the bank has not answered yet). Reads the order page's prefetched
    timeline and money rows: no query.
    """
    answers = [event.type for event in order.events.all() if event.type in PAYMENT_EVENTS]
    if not answers or answers[-1] != OrderEvent.Type.PAYMENT_FAILED:
        return None
    failed = [
        row
        for row in order.payment.transactions.all()
        if row.kind == PaymentTransaction.Kind.AUTHORIZE
        and row.status == PaymentTransaction.Status.FAILED
    ]
    return PaymentDecline(
        card_last4=order.payment.card_last4,
        reason=decline_reason_for_buyer(failed[-1].error if failed else ""),
        again=answers.count(OrderEvent.Type.PAYMENT_FAILED) > 1,
    )


# --- Seller Central ----------------------------------------------------------------------
def seller_order_filter(
    *, seller: Seller, filters: Mapping[str, str] | None = None
) -> SellerOrderFilter:
    """Seller Central's filters (a GET QueryDict) over the seller's orders, newest first."""
    orders = _carded(Order.objects.filter(seller=seller), "buyer")
    return SellerOrderFilter(filters or None, queryset=orders)


def orders_for_seller(
    *, seller: Seller, filters: Mapping[str, str] | None = None
) -> QuerySet[Order]:
    """
    The seller's orders, newest first, narrowed by the filters. Filters that do not
    validate match nothing: the page shows why.
    """
    return seller_order_filter(seller=seller, filters=filters).matching()


# A change to the seller's orders is trusted to be committed this long after its
# ``updated_at``: a transaction that writes orders (a checkout, a cancellation, a sweep's
# batch of 100) commits well within a second of writing them. Until then the counts are
# counted, not cached (see below). A writer that holds a transaction open longer after
# saving an order could leave a cached count stale until the seller's next change.
COUNTS_SETTLE_SECONDS = 10


@dataclass(frozen=True)
class _CachedCounts:
    counts: dict[str, int]
    late_from: datetime | None  # the next ship-by date to pass: "late" grows then


def order_counts_for_seller(*, seller: Seller, now: datetime | None = None) -> dict[str, int]:
    """
    How many of the seller's orders each status filter holds, "late", and "all".

    Counting a big store's orders costs a scan of them all (15 ms at 50,000), so the counts
    are cached under the latest ``updated_at`` of the seller's orders (one index lookup):
    every status change saves the order, and the sweep's bulk writes set ``updated_at``
    too, so any change makes a new key. Two more rules keep a count from ever being stale:
    "late" also moves with time alone, so an entry holds until the next ship-by date it
    did not count passes; and a transaction that saved an order *before* the latest
    ``updated_at`` may commit *after* it, so the counts are cached only once the latest
    change is ``COUNTS_SETTLE_SECONDS`` old, when every transaction of that time has ended.
    """
    latest = (
        Order.objects.filter(seller=seller)
        .order_by("-updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    return order_counts_as_of(seller=seller, latest_change=latest, now=now)


def order_counts_as_of(
    *, seller: Seller, latest_change: datetime | None, now: datetime | None = None
) -> dict[str, int]:
    """
    ``order_counts_for_seller`` for a caller that read the latest ``updated_at`` of the
    seller's orders already (Seller Central home's version query does): one query fewer.
    """
    now = now or timezone.now()
    if latest_change is not None and timezone.is_naive(latest_change):
        latest_change = timezone.make_aware(latest_change, UTC)  # a raw cursor's, in UTC
    settled = latest_change is None or latest_change <= now - timedelta(
        seconds=COUNTS_SETTLE_SECONDS
    )
    key = f"seller-order-counts:{seller.pk}:{latest_change.isoformat() if latest_change else ''}"
    counts = caching.get(key) if settled else None
    if not isinstance(counts, _CachedCounts) or (counts.late_from and now >= counts.late_from):
        counts = _count_seller_orders(seller=seller, now=now)
        if settled:
            caching.set(key, counts)
    pagecache.expires(counts.late_from)  # a page showing "Late" holds until it grows
    return dict(counts.counts)


def _count_seller_orders(*, seller: Seller, now: datetime) -> _CachedCounts:
    """
    The counts in one query, grouped by status (cheap to build, however many pills
    there are), and when the next unshipped order turns late. The status pills add up
    to "all"; "late" cuts across them.
    """
    shippable = Q(status__in=SHIPPABLE_STATES)
    by_status = {
        row["status"]: row
        for row in Order.objects.filter(seller=seller)
        .values("status")
        .annotate(
            orders=Count("pk"),
            late=Count("pk", filter=shippable & Q(ship_by__lt=now)),
            late_from=Min("ship_by", filter=shippable & Q(ship_by__gte=now)),
        )
        .order_by()
    }
    counts = {
        value: sum(by_status[state]["orders"] for state in states if state in by_status)
        for value, states in SellerOrderStatus.states.items()
    }
    counts["all"] = sum(row["orders"] for row in by_status.values())
    counts[SellerOrderStatus.LATE] = sum(row["late"] for row in by_status.values())
    turns_late = [row["late_from"] for row in by_status.values() if row["late_from"]]
    return _CachedCounts(counts=counts, late_from=min(turns_late, default=None))


def order_for_seller(*, seller: Seller, number: str) -> Order:
    """The seller's order with this number; Order.DoesNotExist for another seller's."""
    return _detailed(Order.objects.filter(seller=seller)).get(number=number)


# --- Seller Central → Messages ---------------------------------------------------------------
def seller_reply(*, within: timedelta | None = None) -> Exists:
    """
    Whether the seller wrote on the order after the buyer message in ``OuterRef`` (its
    ``order`` and ``created_at``), within ``within`` of it if given. A buyer's own
    follow-up is no answer, nor is the seller's message on another order.
    """
    replies = Message.objects.filter(
        order=OuterRef("order"),
        author_role=ActorRole.SELLER,
        created_at__gt=OuterRef("created_at"),
    )
    if within is not None:
        replies = replies.filter(created_at__lte=OuterRef("created_at") + within)
    return Exists(replies)


def unanswered_buyer_messages() -> QuerySet[Message]:
    """Buyer messages the seller has not written after (yet), on any order."""
    return Message.objects.filter(author_role=ActorRole.BUYER).exclude(seller_reply())


@dataclass(frozen=True)
class WaitingThread:
    """An order whose buyer waits for the seller's answer, since their first unanswered message."""

    order: Order
    since: datetime
    messages: int  # buyer messages since the seller last wrote
    last_body: str

    @property
    def answer_by(self) -> datetime:
        return self.since + timedelta(hours=MESSAGE_ANSWER_HOURS)

    def overdue(self, now: datetime | None = None) -> bool:
        return self.answer_by < (now or timezone.now())


def waiting_threads_for_seller(*, seller: Seller) -> list[WaitingThread]:
    """
    The seller's orders whose buyer waits for an answer, the one due first on top (one
    query over the partial index of waiting orders; the subqueries run for those only).
    """
    unanswered = unanswered_buyer_messages().filter(order=OuterRef("pk")).order_by()
    orders = (
        Order.objects.filter(seller=seller, buyer_waiting_since__isnull=False)
        .select_related("buyer")
        .annotate(
            waiting_messages=Subquery(
                unanswered.values("order").annotate(n=Count("pk")).values("n")
            ),
            last_body=Subquery(unanswered.order_by("-created_at", "-pk").values("body")[:1]),
        )
        .order_by("buyer_waiting_since", "pk")
    )
    return [
        WaitingThread(
            order=order,
            since=since,
            messages=order.waiting_messages,
            last_body=order.last_body,
        )
        for order in orders
        if (since := order.buyer_waiting_since) is not None  # always, by the filter above
    ]


def waiting_thread_count() -> Subquery:
    """
    How many of the seller in ``OuterRef("pk")``'s orders have a buyer waiting: a
    subquery over the partial index of waiting orders, so the Seller Central badges
    count it with the requests in one query, however many orders the seller has.
    """
    return Subquery(
        Order.objects.filter(seller=OuterRef("pk"), buyer_waiting_since__isnull=False)
        .order_by()
        .values("seller")
        .annotate(n=Count("pk"))
        .values("n")
    )
