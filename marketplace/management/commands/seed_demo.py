"""
Demo data for `make run`, screenshots and benchmarks.

Idempotent: every object is looked up by a natural key before it is created, so
running the command twice changes nothing the second time. The demo orders are
placed through the real services (checkout, preparing, shipping, delivery), then
backdated so each one shows the state it stands for; they are seeded once, when
`buyer` has no orders yet. `--orders N` adds N more every time it is given.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services import cancel_items, request_cancellation
from catalog.models import Listing, Seller
from disputes import services as disputes
from disputes.models import Dispute
from disputes.selectors import money_summary
from notifications import outbox
from notifications.emails import EMAIL
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
    ShippingAddress,
    confirm_shipment,
    mark_delivered,
    place_orders,
    post_message,
    refresh_buyer_waiting,
    start_preparing,
)
from payments.gateway import DECLINED, DECLINES, decline_reason_for_buyer
from payments.models import Payment, PaymentTransaction, SandboxCharge
from payments.services import execute_transaction

DEMO_PASSWORD = "marketplace-demo"  # noqa: S105 - documented demo-only password

BUYERS = [("buyer", "Bea", "Buyer"), ("buyer2", "Ben", "Second"), ("regular", "Rita", "Regular")]
SELLERS = [
    ("seller", "Sam", "Seller", "Sam's Stationery"),
    ("seller2", "Sue", "Vendor", "Sue's Kitchen Supplies"),
]
# Staff may do everything in admin that later issues guard with a permission.
# The group a data migration creates with what staff may read in admin.
STAFF_GROUP = "Marketplace staff"
STAFF_PERMISSIONS = [("disputes", "resolve_dispute")]

# Stripe's test cards (see payments.gateway).
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"

ADDRESSES = {
    "regular": ShippingAddress(
        name="Rita Regular", line1="7 Market Row", city="Shelbyville", postcode="62565"
    ),
    "buyer": ShippingAddress(
        name="Bea Buyer", line1="12 Orchard Lane", city="Springfield", postcode="62704"
    ),
    "buyer2": ShippingAddress(
        name="Ben Second",
        line1="480 Harbor Street",
        line2="Apt 3B",
        city="Portland",
        postcode="97209",
    ),
}


@dataclass(frozen=True)
class DemoListing:
    title: str
    description: str
    price: str
    stock: int
    handling_days: int


LISTINGS = {
    "seller": [
        DemoListing(
            "Dot-grid A5 notebook, 160 pages",
            "Lay-flat binding and 100 gsm ivory paper that takes fountain-pen ink without "
            "bleeding through. Numbered pages, an index and two ribbon markers.",
            "14.50",
            40,
            1,
        ),
        DemoListing(
            "Gel ink pens, 0.5 mm, pack of 10",
            "Quick-drying black gel ink with a comfortable rubber grip. Smudge-resistant, "
            "so left-handed writers love them too.",
            "11.99",
            50,
            1,
        ),
        DemoListing(
            "Brass fountain pen, fine nib",
            "Solid brass body that darkens to a warm patina with use. Steel fine nib, "
            "takes standard international cartridges; a converter is included.",
            "38.00",
            12,
            2,
        ),
        DemoListing(
            "LED desk lamp with dimmer",
            "Adjustable arm and head, five brightness levels and three colour temperatures. "
            "USB-C port in the base to charge your phone.",
            "49.95",
            8,
            3,
        ),
        DemoListing(
            "Kraft sticky notes, 6 pads",
            "Recycled kraft paper, 76 × 76 mm, 100 sheets a pad. The adhesive holds on "
            "monitors and lifts off cleanly.",
            "7.25",
            30,
            1,
        ),
        DemoListing(
            "Walnut desk organizer",
            "Solid walnut with five compartments for pens, cards and a phone. Oiled finish, "
            "felt feet that do not scratch the desk.",
            "32.00",
            6,
            3,
        ),
    ],
    "seller2": [
        DemoListing(
            "Stainless steel electric kettle, 1.7 L",
            "Boils a full jug in under four minutes. Auto shut-off, boil-dry protection "
            "and a limescale filter you can rinse.",
            "44.99",
            15,
            2,
        ),
        DemoListing(
            "Stoneware mugs, set of 4",
            "Reactive glaze in four sea colours, 350 ml each. Dishwasher and microwave safe.",
            "29.50",
            20,
            2,
        ),
        DemoListing(
            "German steel knife set, 5 pieces with block",
            "Chef's, bread, utility, paring and santoku knives forged from X50CrMoV15 steel, "
            "in an acacia block.",
            "129.00",
            5,
            3,
        ),
        DemoListing(
            "Bamboo cutting board, large",
            "45 × 30 cm end-grain bamboo that is gentle on knife edges. Juice groove on one "
            "side, flat on the other.",
            "24.00",
            25,
            1,
        ),
        DemoListing(
            "Cast-iron skillet, 10 inch",
            "Pre-seasoned with vegetable oil, ready to use. Goes from hob to oven to campfire.",
            "36.75",
            10,
            2,
        ),
    ],
}

# Short names for the demo orders below.
NOTEBOOK, GEL_PENS, FOUNTAIN_PEN, DESK_LAMP, STICKY_NOTES, ORGANIZER = (
    listing.title for listing in LISTINGS["seller"]
)
KETTLE, MUGS, KNIFE_SET, CUTTING_BOARD, SKILLET = (listing.title for listing in LISTINGS["seller2"])

ALL = None  # ship every open unit


def history_orders() -> list["DemoOrder"]:
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
    shipments: list[tuple[timedelta, list[tuple[str, int]] | None]] = field(default_factory=list)
    delivered: timedelta | None = None
    messages: list[tuple[timedelta, str, str]] = field(default_factory=list)
    # (age, items or ALL, reason): the buyer asks the seller to cancel (a pending request).
    request: tuple[timedelta, object, str] | None = None
    # (age, items or ALL, reason, "buyer" | "seller" | "system"): units cancelled.
    cancelled: tuple[timedelta, object, str, str] | None = None


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

# Bulk orders are written this many at a time, one transaction per batch: big enough
# that 5,000 orders take seconds, small enough that a batch's rows stay small in memory
# and an interrupted run leaves only whole orders behind.
BULK_BATCH_SIZE = 500
BULK_DAYS = 60


class Command(BaseCommand):
    help = "Create the demo accounts and data (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders",
            type=int,
            default=0,
            help="Also create this many extra orders for benchmarks.",
        )
        parser.add_argument(
            "--no-history",
            dest="history",
            action="store_false",
            help="Skip the sellers' eight weeks of past orders (quicker; for tests).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a staging copy; never a real shop).",
        )

    def handle(self, *args, orders, force, history=True, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a real deployment: the demo accounts share "
                "a published password. Use --force to seed anyway."
            )
        if orders < 0:
            raise CommandError("--orders must be 0 or more.")
        self.verbosity = options["verbosity"]
        first_message = OutboxMessage.objects.aggregate(last=Max("pk", default=0))["last"]
        # Hundreds of emails and money calls at once: the outbox sweep delivers them in
        # batches, so the worker's queue stays free for the beat jobs.
        with outbox.left_to_the_sweep(), transaction.atomic():
            users = self.create_accounts()
            self.seed_domain(users, history=history)
            self.seed_disputes(users)
        if orders:
            self.seed_bulk_orders(users, orders)
        # The demo's emails tell of what happened before anyone looked: nobody is sent
        # them (`make run` would print hundreds before its address). The money calls
        # stay queued: the worker settles them.
        OutboxMessage.objects.filter(
            pk__gt=first_message, kind=EMAIL, status=OutboxMessage.Status.PENDING
        ).update(status=OutboxMessage.Status.DELIVERED, delivered_at=timezone.now())
        if self.verbosity >= 1:
            self.stdout.write(self.style.SUCCESS("Demo data ready."))
            self.stdout.write(
                f"Demo accounts (password '{DEMO_PASSWORD}', demo only): {', '.join(sorted(users))}"
            )

    def create_accounts(self):
        User = get_user_model()
        users = {}
        for username, first, last in BUYERS:
            users[username] = self.user(User, username, first, last)
        for username, first, last, store in SELLERS:
            user = self.user(User, username, first, last)
            Seller.objects.get_or_create(user=user, defaults={"store_name": store})
            users[username] = user
        staff = self.user(User, "staff", "Stella", "Staff", is_staff=True)
        staff.groups.add(Group.objects.get(name=STAFF_GROUP))
        for app_label, codename in STAFF_PERMISSIONS:
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission:
                staff.user_permissions.add(permission)
        users["staff"] = staff
        return users

    def user(self, User, username, first, last, **extra):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                **extra,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    # --- The domain's demo states -------------------------------------------------------
    def seed_domain(self, users, *, history: bool = True):
        listings = self.seed_listings(users)
        # The demo orders are seeded as a whole, once: `buyer` having any order means
        # they are there (or the demo user has made their own, which we keep).
        if Order.objects.filter(buyer=users["buyer"]).exists():
            return
        for number, demo in enumerate(history_orders() if history else []):
            # The sellers refill their shelves now and then, and always the one they
            # found empty.
            if number % 10 == 0:
                self.restock(listings)
            self.seed_order(users, listings, demo)
            if demo.cancelled and demo.cancelled[2] == Reason.NO_INVENTORY:
                self.restock(listings)
        self.restock(listings)
        for demo in DEMO_ORDERS:
            self.seed_order(users, listings, demo)

    @staticmethod
    def restock(listings: dict[str, Listing]) -> None:
        """Every demo listing back to its demo stock."""
        for demo_listings in LISTINGS.values():
            for demo in demo_listings:
                Listing.objects.filter(pk=listings[demo.title].pk).update(stock=demo.stock)

    def seed_listings(self, users) -> dict[str, Listing]:
        listings = {}
        for username, demo_listings in LISTINGS.items():
            seller = users[username].seller
            for demo in demo_listings:
                listing, _created = Listing.objects.get_or_create(
                    seller=seller,
                    title=demo.title,
                    defaults={
                        "description": demo.description,
                        "price": Decimal(demo.price),
                        "stock": demo.stock,
                        "handling_days": demo.handling_days,
                    },
                )
                listings[demo.title] = listing
        return listings

    def seed_order(self, users, listings, demo: DemoOrder) -> None:
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
            if demo.late_by is not None:
                shift = (now - demo.late_by) - order.ship_by
            else:
                shift = (now - demo.placed) - order.placed_at
            self.backdate_order(order, shift)
            mark = self.date_new_events(order, 0, order.placed_at)
            seller = Actor.seller(order.seller.user)
            if demo.preparing is not None:
                start_preparing(order_id=order.pk, actor=seller)
                mark = self.date_new_events(order, mark, now - demo.preparing)
            for number, (age, shipped) in enumerate(demo.shipments, start=1):
                lines = {line.title: line for line in order.lines.all()}
                quantities = (
                    {line.pk: line.quantity_open for line in lines.values()}
                    if shipped is ALL
                    else {lines[title].pk: quantity for title, quantity in shipped}
                )
                shipment = confirm_shipment(
                    order_id=order.pk,
                    quantities=quantities,
                    carrier=CARRIERS[order.pk % len(CARRIERS)],
                    tracking_number=f"1ZDEMO{order.pk:06d}{number:02d}",
                    actor=seller,
                )
                Shipment.objects.filter(pk=shipment.pk).update(shipped_at=now - age)
                mark = self.date_new_events(order, mark, now - age)
            if demo.delivered is not None:
                mark_delivered(order_id=order.pk, actor=Actor.system())
                mark = self.date_new_events(order, mark, now - demo.delivered)
            if demo.cancelled is not None:
                age, items, reason, role = demo.cancelled
                actor = {"buyer": Actor.buyer(buyer), "seller": seller, "system": Actor.system()}[
                    role
                ]
                # The rules are checked now, so cancel before backdating puts it out of reach.
                self.with_order_dated(
                    order,
                    now - age,
                    cancel_items,
                    order_id=order.pk,
                    quantities=self.demo_quantities(order, items),
                    reason=reason,
                    actor=actor,
                )
                Cancellation.objects.filter(order=order).update(created_at=now - age)
                mark = self.date_new_events(order, mark, now - age)
            if demo.request is not None:
                age, items, reason = demo.request
                self.with_order_dated(
                    order,
                    now - age,
                    request_cancellation,
                    order_id=order.pk,
                    quantities=self.demo_quantities(order, items),
                    reason=reason,
                    actor=Actor.buyer(buyer),
                )
                CancellationRequest.objects.filter(order=order).update(created_at=now - age)
                mark = self.date_new_events(order, mark, now - age)
            for age, role, body in demo.messages:
                author = buyer if role == "buyer" else order.seller.user
                message = post_message(
                    order_id=order.pk, body=body, actor=Actor(ActorRole(role), author)
                )
                Message.objects.filter(pk=message.pk).update(created_at=now - age)
            if demo.messages:  # the buyer waits since the first unanswered one, as dated
                refresh_buyer_waiting(order_id=order.pk)

    @staticmethod
    def demo_quantities(order: Order, items) -> dict[int, int]:
        lines = {line.title: line for line in order.lines.all()}
        if items is ALL:
            return {line.pk: line.quantity_open for line in lines.values()}
        return {lines[title].pk: quantity for title, quantity in items}

    def with_order_dated(self, order: Order, when, act, **kwargs):
        """
        Run ``act`` as if it were ``when``: the cancellation rules read the order's age,
        so shift the order to the age it had then, act, and shift it back.
        """
        shift = timezone.now() - when
        self.backdate_order(order, shift)
        try:
            return act(**kwargs)
        finally:
            self.backdate_order(order, -shift)

    @staticmethod
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

    @staticmethod
    def date_new_events(order: Order, after_pk: int, when) -> int:
        """Date the events written since ``after_pk``; returns the last event's pk."""
        order.events.filter(pk__gt=after_pk).update(created_at=when)
        return order.events.order_by("-pk").values_list("pk", flat=True).first() or after_pk

    # --- Bulk orders for benchmarks --------------------------------------------------------
    def seed_bulk_orders(self, users, count):
        """
        ``count`` more orders for `buyer2`, spread over the demo sellers' listings and
        the last 60 days, written with bulk_create for speed (a progress bar because
        thousands take a while). Their states follow their age as in a real shop: the
        newest still unshipped or being prepared, the older ones shipped and delivered.
        They reserve no stock: they stand for past sales, and must not empty the
        shelves the demo and the benchmarks buy from.
        """
        by_seller: dict[int, list[Listing]] = {}
        for listing in Listing.objects.filter(
            seller__user__username__in=[username for username, *_ in SELLERS], is_active=True
        ).select_related("seller"):
            by_seller.setdefault(listing.seller_id, []).append(listing)
        if not by_seller:
            raise CommandError("No demo listings to order from.")
        sellers = list(by_seller.values())
        # Seeded, so a benchmark database is the same from one run to the next.
        rng = random.Random(Order.objects.count())
        buyer = users["buyer2"]
        with tqdm(total=count, desc="orders", unit="order", disable=self.verbosity < 1) as progress:
            for start in range(0, count, BULK_BATCH_SIZE):
                size = min(BULK_BATCH_SIZE, count - start)
                with transaction.atomic():
                    BulkBatch(rng, buyer, sellers).create(size)
                progress.update(size)

    # --- Resolution Center cases ----------------------------------------------------------------
    def seed_disputes(self, users):
        """
        A case in each state on delivered orders of `buyer`, through the real services:
        one escalated (the seller did not answer) for `staff` to resolve, one with the
        seller's partial offer waiting for `buyer`. Seeded once, like the demo orders.
        """
        buyer = users["buyer"]
        if Dispute.objects.filter(buyer=buyer).exists():
            return
        listings = self.seed_listings(users)
        R = Dispute.Reason
        cases = [
            (ORGANIZER, R.NOT_AS_DESCRIBED, "open", "The walnut is a veneer, not solid wood."),
            (FOUNTAIN_PEN, R.NOT_AS_DESCRIBED, "offer", "The nib is medium, not fine."),
            (KETTLE, R.ITEM_NOT_RECEIVED, "escalated", "Tracking says delivered; nothing came."),
            (MUGS, R.NOT_AS_DESCRIBED, "for_buyer", "Two of the four mugs arrived chipped."),
            (NOTEBOOK, R.NOT_AS_DESCRIBED, "for_seller", "The paper bleeds with my ink."),
            (CUTTING_BOARD, R.NOT_AS_DESCRIBED, "agreement", "Smaller than the listing says."),
            (STICKY_NOTES, R.NOT_AS_DESCRIBED, "withdrawn", "Wrong colour, I thought."),
        ]
        staff = Actor(ActorRole.STAFF, users["staff"])
        for title, reason, outcome, description in cases:
            self.seed_order(
                users,
                listings,
                DemoOrder(
                    "buyer",
                    [(title, 1)],
                    placed=timedelta(days=20),
                    shipments=[(timedelta(days=18), ALL)],
                    delivered=timedelta(days=15),
                ),
            )
            order = Order.objects.filter(buyer=buyer).latest("pk")
            # Charge the shipment now (the outbox would after this transaction), so the
            # cases below have charged money to refund; the outbox then finds it done.
            for capture in PaymentTransaction.objects.filter(
                payment_id=order.payment_id, status=PaymentTransaction.Status.PENDING
            ):
                execute_transaction(transaction_id=capture.pk)
            seller = Actor.seller(order.seller.user)
            case = disputes.open_dispute(
                order_id=order.pk, reason=reason, description=description, actor=Actor.buyer(buyer)
            ).pk
            half = (order.total / 2).quantize(Decimal("0.01"))
            if outcome == "offer":
                disputes.make_offer(
                    dispute_id=case,
                    kind="partial",
                    amount=half,
                    message="Sorry about that! Keep the pen and take half back?",
                    actor=seller,
                )
            elif outcome == "escalated":
                Dispute.objects.filter(pk=case).update(respond_by=timezone.now())
                disputes.escalate_unresponsive(dispute_id=case)
            elif outcome == "for_buyer":
                # The buyer may ask staff once the seller has answered.
                disputes.post_message(
                    dispute_id=case, body="They left here well packed.", actor=seller
                )
                disputes.escalate(dispute_id=case, actor=Actor.buyer(buyer))
                disputes.resolve_for_buyer(
                    dispute_id=case,
                    note="The photos show the damage.",
                    actor=staff,
                    money_seen=money_summary(Order.objects.get(pk=order.pk)).seen,
                )
            elif outcome == "for_seller":
                disputes.post_message(
                    dispute_id=case, body="The listing says: fountain pens may bleed.", actor=seller
                )
                disputes.escalate(dispute_id=case, actor=seller)
                disputes.resolve_for_seller(
                    dispute_id=case, note="The listing warns about ink.", actor=staff
                )
            elif outcome == "agreement":
                disputes.make_offer(dispute_id=case, kind="partial", amount=half, actor=seller)
                offer = Dispute.objects.get(pk=case)
                disputes.accept_offer(
                    dispute_id=case,
                    actor=Actor.buyer(buyer),
                    offer_seen=offer.offer_version,
                    refund_seen=half,
                )
            elif outcome == "withdrawn":
                disputes.withdraw(dispute_id=case, actor=Actor.buyer(buyer))


@dataclass
class BulkDraft:
    """One bulk order before it is written: its dates, state, lines and money."""

    placed_at: datetime
    status: str
    lines: list[tuple[Listing, int]]
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
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
    def shipped(self) -> bool:
        return self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


class BulkBatch:
    """One batch of bulk orders: every row built in memory, then one INSERT per model."""

    def __init__(self, rng: random.Random, buyer, sellers: list[list[Listing]]):
        self.rng, self.buyer, self.sellers = rng, buyer, sellers
        self.now = timezone.now()
        self.address = ADDRESSES["buyer2"]

    def create(self, size: int) -> None:
        drafts = [self.draft() for _ in range(size)]
        self.create_payments(drafts)
        self.create_orders(drafts)
        self.create_lines(drafts)
        self.create_history(drafts)

    def draft(self) -> BulkDraft:
        rng = self.rng
        age = timedelta(seconds=rng.uniform(60, BULK_DAYS * 24 * 3600))
        listings = rng.choice(self.sellers)
        chosen = rng.sample(listings, k=rng.randint(1, min(3, len(listings))))
        draft = BulkDraft(
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
            draft.delivered_at = min(draft.shipped_at + timedelta(days=rng.uniform(1, 5)), self.now)
        return draft

    def state_for(self, age: timedelta) -> str:
        """What an order of this age usually is by now."""
        roll = self.rng.random()
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
            total = draft.total
            captured = total if draft.shipped else Decimal(0)
            if draft.paid:
                reference = f"ch_seed_{self.rng.getrandbits(96):024x}"
                charges.append(
                    SandboxCharge(
                        reference=reference,
                        payment_method="pm_card_visa",
                        amount_authorized=total,
                        amount_captured=captured,
                    )
                )
                status = Payment.Status.CAPTURED if captured else Payment.Status.AUTHORIZED
            else:
                reference, status = "", Payment.Status.FAILED
            draft.payment = Payment(
                amount=total,
                payment_method="pm_card_visa" if draft.paid else "pm_card_chargeDeclined",
                card_last4="4242" if draft.paid else "0002",
                charge_reference=reference,
                status=status,
                amount_authorized=total if draft.paid else Decimal(0),
                amount_captured=captured,
            )
        SandboxCharge.objects.bulk_create(charges)
        Payment.objects.bulk_create([draft.payment for draft in drafts])

        transactions = []
        for draft in drafts:
            payment = draft.payment
            transactions.append(
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
            )
            if draft.shipped:
                transactions.append(
                    PaymentTransaction(
                        payment=payment,
                        kind=PaymentTransaction.Kind.CAPTURE,
                        amount=payment.amount_captured,
                        idempotency_key=f"seed:capture:{payment.pk}",
                        status="succeeded",
                        gateway_reference=payment.charge_reference,
                        processed_at=draft.shipped_at,
                    )
                )
        PaymentTransaction.objects.bulk_create(transactions)

    def create_orders(self, drafts: list[BulkDraft]) -> None:
        for draft in drafts:
            ship_by = draft.placed_at + timedelta(days=draft.handling_days)
            draft.order = Order(
                buyer=self.buyer,
                seller=draft.lines[0][0].seller,
                payment=draft.payment,
                status=draft.status,
                total=draft.total,
                placed_at=draft.placed_at,
                ship_by=ship_by,
                deliver_by=ship_by + timedelta(days=settings.DELIVERY_DAYS_AFTER_SHIPPING),
                ship_to_name=self.address.name,
                ship_to_line1=self.address.line1,
                ship_to_line2=self.address.line2,
                ship_to_city=self.address.city,
                ship_to_postcode=self.address.postcode,
                ship_to_country=self.address.country,
            )
        Order.objects.bulk_create([draft.order for draft in drafts])

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
                )
                for listing, quantity in draft.lines
            ]
        OrderLine.objects.bulk_create([line for draft in drafts for line in draft.order_lines])

    def create_history(self, drafts: list[BulkDraft]) -> None:
        """The timeline each state implies, and the shipment of what shipped."""
        events, shipments = [], []
        for draft in drafts:
            order = draft.order
            seller_user = order.seller.user
            events.append(
                OrderEvent(
                    order=order,
                    type=OrderEvent.Type.PLACED,
                    actor_role=ActorRole.BUYER,
                    actor_user=self.buyer,
                    summary=f"Order placed with {order.seller.store_name}.",
                    payload={"total": str(order.total)},
                    created_at=draft.placed_at,
                )
            )
            if not draft.paid:
                events.append(
                    OrderEvent(
                        order=order,
                        type=OrderEvent.Type.PAYMENT_FAILED,
                        actor_role=ActorRole.SYSTEM,
                        summary=(
                            f"Payment declined. {decline_reason_for_buyer(DECLINES[DECLINED][1])}"
                        ),
                        created_at=draft.placed_at,
                    )
                )
                continue
            events.append(
                OrderEvent(
                    order=order,
                    type=OrderEvent.Type.PAYMENT_AUTHORIZED,
                    actor_role=ActorRole.SYSTEM,
                    summary=f"Payment of ${order.total} authorized (card ending 4242).",
                    created_at=draft.placed_at,
                )
            )
            if draft.status == OrderStatus.PREPARING:
                events.append(
                    OrderEvent(
                        order=order,
                        type=OrderEvent.Type.PREPARING,
                        actor_role=ActorRole.SELLER,
                        actor_user=seller_user,
                        summary="The seller is preparing your order.",
                        created_at=min(draft.placed_at + timedelta(hours=1), self.now),
                    )
                )
            if draft.shipped:
                carrier = self.rng.choice(CARRIERS)
                shipments.append(
                    Shipment(
                        order=order,
                        carrier=carrier,
                        tracking_number=f"1Z{self.rng.getrandbits(48):012X}",
                        shipped_at=draft.shipped_at,
                    )
                )
                units = sum(quantity for _listing, quantity in draft.lines)
                events.append(
                    OrderEvent(
                        order=order,
                        type=OrderEvent.Type.SHIPPED,
                        actor_role=ActorRole.SELLER,
                        actor_user=seller_user,
                        summary=f"{units} item{'s' if units != 1 else ''} shipped with {carrier}.",
                        created_at=draft.shipped_at,
                    )
                )
            if draft.delivered_at:
                events.append(
                    OrderEvent(
                        order=order,
                        type=OrderEvent.Type.DELIVERED,
                        actor_role=ActorRole.SYSTEM,
                        summary="Your package was delivered.",
                        created_at=draft.delivered_at,
                    )
                )
        Shipment.objects.bulk_create(shipments)
        OrderEvent.objects.bulk_create(events)
        shipment_of = {shipment.order_id: shipment for shipment in shipments}
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment_of[line.order_id], line=line, quantity=line.quantity)
            for draft in drafts
            for line in draft.order_lines
            if line.order_id in shipment_of
        )
