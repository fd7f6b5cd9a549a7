"""
The order lifecycle as a state machine (hypothesis.stateful).

Random runs of checkout (good or declined card), gateway timeouts at checkout and the
outbox retries that follow (the gateway's answer and its recording are separate steps,
so any other step may run in the gap between them), payment revision, preparing, partial
shipments, delivery, cancellations by the buyer (direct or by request), the seller and
the system, request withdrawals and the passing of time, all through the real services,
with the outbox delivered after every step (the gateway really moves the sandbox's
money). Each rule predicts whether the service must accept or refuse; after every step
the books must balance: stock, quantities, money, order state and audit trail.

Every run of the machine creates its own buyer, sellers and listings and checks only
those, so all runs share the test's database transaction.

CI explores 25 runs per capture mode; ``LIFECYCLE_EXAMPLES=300`` explores more, for a
hunt after a change to the money rules (about a minute per 25 runs here).
"""

import itertools
import os
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import F, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cancellations import jobs as cancellation_jobs
from cancellations import tasks as cancellation_tasks
from cancellations.models import (
    BUYER_REASONS,
    SELLER_REASONS,
    Cancellation,
    CancellationRequest,
    Reason,
)
from cancellations.rules import BuyerMode, buyer_mode
from cancellations.services import (
    CancellationError,
    approve_request,
    cancel_items,
    decline_request,
    submit_buyer_cancellation,
    withdraw_request,
)
from catalog.models import Listing
from disputes import rules as dispute_rules
from disputes import selectors as dispute_selectors
from disputes import services as disputes
from disputes.models import Dispute
from notifications import outbox
from notifications.models import OutboxMessage
from orders import jobs as order_jobs
from orders import tasks as order_tasks
from orders.actors import Actor
from orders.models import (
    CANCELLABLE_STATES,
    SHIPPABLE_STATES,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    ShipmentLine,
)
from orders.selectors import BuyerTab
from orders.services import (
    AUTHORIZATION_RETRY,
    OrderError,
    confirm_shipment,
    mark_delivered,
    place_orders,
    revise_payment,
    start_preparing,
)
from payments import services as payments
from payments import tasks as payment_tasks
from payments.gateway import GatewayTimeout, inject_timeouts
from payments.models import Payment, PaymentTransaction
from payments.selectors import money_position
from returns import services as returns
from returns import tasks as return_tasks
from returns.jobs import overdue_requests, unreceived_returns, unshipped_returns
from returns.models import (
    OPEN_STATUSES as RETURN_OPEN,
)
from returns.models import (
    ItemCondition,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from returns.rules import returnable_units, why_not_return
from tests.disputes import as_shown
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    PASSWORD,
    ListingFactory,
    SellerFactory,
    UserFactory,
    image_file,
)
from tests.pagecache import assert_served_as_rendered

pytestmark = pytest.mark.django_db


# The small fixed catalog: (price, stock, handling days, which of the two sellers).
CATALOG = [
    (Decimal("12.50"), 9, 2, 0),
    (Decimal("3.99"), 12, 1, 0),
    (Decimal("20.00"), 7, 3, 1),
]

# Time moves in steps that never land within seconds of a rule's boundary (the
# 30-minute direct-cancel window, ship-by, the 3-day payment revision window; a sum of
# steps equal to the 48-hour response window, the arrive-by date or the 10-day refund
# settlement puts that boundary at the real instant the clock started, steps ago), so
# what a rule predicts a moment before the service runs is what the service sees.
# The Seller Central pages each step checks as the page cache serves them.
SELLER_PAGES = ["sellercentral:orders", "sellercentral:requests"]
TIME_STEPS = [timedelta(minutes=45), timedelta(days=1), timedelta(days=4), timedelta(days=8)]

# Three times in four: keeps most steps meaningful while still trying the refusals.
MOSTLY = [True, True, True, False]
# Stripe's "charge fails" card: declined by the sandbox and by localstripe alike.
DECLINED_CARD = "4000 0000 0000 0341"
CARDS = [GOOD_CARD, GOOD_CARD, DECLINED_CARD]

_runs = itertools.count()


def _open(line: OrderLine) -> int:
    return line.quantity - line.quantity_cancelled - line.quantity_shipped


UNRESOLVED = [
    Dispute.Status.OPEN,
    Dispute.Status.SELLER_RESPONDED,
    Dispute.Status.UNDER_REVIEW,
]


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each run in a savepoint of its own, rolled back in teardown: a run that fails
        # leaves nothing (no pending outbox row) for the next run to trip over.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        run = next(_runs)
        self.buyer = UserFactory(username=f"lifecycle-{run}-buyer")
        self.sellers = [
            SellerFactory(
                user=UserFactory(username=f"lifecycle-{run}-seller-{n}"),
                return_line1="1 Return Road",
                return_city="Springfield",
                return_postcode="12345",
                # The second store refunds returns under $5 without the item (the $3.99 one).
                returnless_refund_under=Decimal("5.00") if n else None,
            )
            for n in range(2)
        ]
        self.listings = [
            ListingFactory(
                seller=self.sellers[seller],
                title=f"Item {run}-{n}",
                price=price,
                stock=stock,
                handling_days=days,
            )
            for n, (price, stock, days, seller) in enumerate(CATALOG)
        ]
        # Units each listing must account for: on the shelf, open in an order, or shipped.
        # Only "No inventory" changes it (the seller says the shelf is empty).
        self.accounted = {listing.pk: listing.stock for listing in self.listings}
        self.order_ids: list[int] = []
        self.new_store_listing: Listing | None = None  # listed by a stranger who signed up
        self.buyer_browser = Client()
        self.buyer_browser.force_login(self.buyer)
        self.seller_browsers = [Client() for _seller in self.sellers]
        for browser, seller in zip(self.seller_browsers, self.sellers, strict=True):
            browser.force_login(seller.user)
        self.staff = UserFactory(username=f"lifecycle-{run}-staff", is_staff=True)
        self.staff.user_permissions.add(
            Permission.objects.get(codename="resolve_dispute", content_type__app_label="disputes")
        )

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- Helpers ------------------------------------------------------------------------
    def _orders(self, **filters):
        return Order.objects.filter(pk__in=self.order_ids, **filters)

    def _has_orders(self, **filters) -> bool:
        return self._orders(**filters).exists()

    def _draw_order(self, data, likely=None) -> tuple[Order, list[OrderLine]]:
        """One of this run's orders; often one in the ``likely`` states, if there is any."""
        candidates = self._orders()
        if (
            likely
            and data.draw(st.sampled_from(MOSTLY), label="likely state")
            and self._has_orders(status__in=likely)
        ):
            candidates = candidates.filter(status__in=likely)
        order_id = data.draw(
            st.sampled_from(sorted(candidates.values_list("pk", flat=True))), label="order"
        )
        order = Order.objects.select_related("payment", "seller__user").get(pk=order_id)
        return order, list(order.lines.order_by("pk"))

    @staticmethod
    def _draw_quantities(data, lines) -> dict[int, int]:
        """Per line, mostly some units up to what is still open; sometimes up to the whole line."""
        within_open = data.draw(st.sampled_from(MOSTLY), label="within open")
        quantities = {}
        for n, line in enumerate(lines):
            most = _open(line) if within_open else line.quantity
            chosen = most and data.draw(st.sampled_from(MOSTLY), label=f"line {n} chosen")
            quantities[line.pk] = (
                data.draw(st.integers(1, most), label=f"qty line {n}") if chosen else 0
            )
        return quantities

    @staticmethod
    def _valid(lines, quantities) -> bool:
        chosen = {line_id: qty for line_id, qty in quantities.items() if qty}
        by_id = {line.pk: line for line in lines}
        return bool(chosen) and all(qty <= _open(by_id[pk]) for pk, qty in chosen.items())

    @staticmethod
    def _snapshot(order_id):
        return list(
            OrderLine.objects.filter(order_id=order_id)
            .order_by("pk")
            .values_list("quantity_cancelled", "quantity_shipped")
        )

    def _assert_cancelled(self, order_id, lines, quantities, cancellation):
        after = {line.pk: line for line in OrderLine.objects.filter(order_id=order_id)}
        for line in lines:
            assert after[line.pk].quantity_cancelled == (
                line.quantity_cancelled + quantities[line.pk]
            )
        assert cancellation.refund_amount == sum(
            (line.unit_price * quantities[line.pk] for line in lines), Decimal(0)
        )

    def _retries(self):
        """The authorization retries of this run's orders still waiting in the outbox."""
        return OutboxMessage.objects.filter(
            kind=AUTHORIZATION_RETRY,
            status=OutboxMessage.Status.PENDING,
            payload__order_id__in=self.order_ids,
        )

    def _draw_retry(self, data) -> OutboxMessage:
        retry_id = data.draw(
            st.sampled_from(sorted(self._retries().values_list("pk", flat=True))), label="retry"
        )
        return OutboxMessage.objects.get(pk=retry_id)

    # --- Checkout and payment -----------------------------------------------------------
    @rule(
        picks=st.lists(st.integers(0, len(CATALOG) - 1), min_size=1, max_size=2, unique=True),
        quantities=st.tuples(st.integers(1, 3), st.integers(1, 3)),
        card=st.sampled_from(CARDS),
    )
    def place_while_the_gateway_times_out(self, picks, quantities, card):
        """Checkout gets no answer from the gateway: every order waits in pending_payment."""
        items = {self.listings[n].pk: qty for n, qty in zip(picks, quantities, strict=False)}
        sellers = {self.listings[n].seller_id for n in picks}
        try:
            with inject_timeouts(len(sellers)):
                orders = place_orders(
                    buyer=self.buyer, items=items, address=ADDRESS, card_number=card
                )
        except OrderError:
            event("place (timeout): refused (out of stock)")
            return
        event("place (timeout): pending")
        for order in orders:
            assert order.status == OrderStatus.PENDING_PAYMENT
            self.order_ids.append(order.pk)
        assert self._retries().filter(payload__order_id__in=[o.pk for o in orders]).count() == (
            len(orders)
        )

    @precondition(lambda self: self._retries().exists())
    @rule(data=st.data(), times_out=st.sampled_from([False, False, True]))
    def gateway_answers_a_retry(self, data, times_out):
        """
        The first half of a retry: the gateway's answer is committed, the order not yet
        moved on. Any step may now run before ``record_a_retry`` records it.
        """
        retry = self._draw_retry(data)
        payment_id = Order.objects.values_list("payment_id", flat=True).get(
            pk=retry.payload["order_id"]
        )
        try:
            with inject_timeouts(1 if times_out else 0):
                payments.authorize_payment(
                    payment_id=payment_id, idempotency_key=retry.payload["idempotency_key"]
                )
        except GatewayTimeout:
            event("gateway answers: timed out again")
            return
        event("gateway answers: answered, not yet recorded")

    @precondition(lambda self: self._retries().exists())
    @rule(data=st.data(), reason=st.sampled_from(BUYER_REASONS))
    def buyer_cancels_in_the_authorization_gap(self, data, reason):
        """
        The whole gap in one step, so short runs reach it: the gateway answers a retry,
        the buyer cancels some units before the order knows, then the retry is recorded.
        """
        retry = self._draw_retry(data)
        order = Order.objects.get(pk=retry.payload["order_id"])
        payments.authorize_payment(
            payment_id=order.payment_id, idempotency_key=retry.payload["idempotency_key"]
        )
        lines = list(order.lines.order_by("pk"))
        quantities = self._draw_quantities(data, lines)
        try:
            cancellation = cancel_items(
                order_id=order.pk,
                quantities=quantities,
                reason=reason,
                note="Changed my mind." if reason == Reason.OTHER else "",
                actor=Actor.buyer(self.buyer),
            )
        except CancellationError:
            event("gap: cancellation refused")
            assert not (order.is_cancellable_state and self._valid(lines, quantities))
        else:
            event("gap: cancelled before the authorization was recorded")
            self._assert_cancelled(order.pk, lines, quantities, cancellation)
        self.books_balance()  # the cancellation's own release runs first
        assert outbox.deliver(retry.pk) is True

    @precondition(lambda self: self._retries().exists())
    @rule(data=st.data(), times_out=st.sampled_from([False, False, True]))
    def record_a_retry(self, data, times_out):
        """The outbox delivers a retry: ask the gateway (same key) and record its answer."""
        retry = self._draw_retry(data)
        with inject_timeouts(1 if times_out else 0):
            delivered = outbox.deliver(retry.pk)
        retry.refresh_from_db()
        order = Order.objects.get(pk=retry.payload["order_id"])
        if not delivered:
            event("record retry: timed out, backs off")
            assert retry.status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED)
            return
        event(f"record retry: {order.status}")
        assert retry.status == OutboxMessage.Status.DELIVERED
        assert order.status != OrderStatus.PENDING_PAYMENT

    @rule(
        picks=st.lists(st.integers(0, len(CATALOG) - 1), min_size=1, max_size=2, unique=True),
        quantities=st.tuples(st.integers(1, 3), st.integers(1, 3)),
        card=st.sampled_from(CARDS),
    )
    def place(self, picks, quantities, card):
        items = {self.listings[n].pk: qty for n, qty in zip(picks, quantities, strict=False)}
        shelf = {listing.pk: listing for listing in Listing.objects.filter(pk__in=items.keys())}
        possible = all(shelf[pk].is_active and shelf[pk].stock >= qty for pk, qty in items.items())
        try:
            orders = place_orders(buyer=self.buyer, items=items, address=ADDRESS, card_number=card)
        except OrderError:
            event("place: refused (out of stock)")
            assert not possible, "checkout refused although every item was in stock"
            assert {
                listing.pk: listing.stock for listing in Listing.objects.filter(pk__in=items)
            } == {pk: listing.stock for pk, listing in shelf.items()}
            return
        event(f"place: {'good' if card == GOOD_CARD else 'declined'} card")
        assert possible, "checkout took more units than were on the shelf"
        assert len(orders) == len({shelf[pk].seller_id for pk in items})  # one per seller
        expected = OrderStatus.UNSHIPPED if card == GOOD_CARD else OrderStatus.PAYMENT_FAILED
        for order in orders:
            assert order.status == expected
            self.order_ids.append(order.pk)

    # --- A stranger joins: sign up, confirm, open a store, list (through the pages) ------
    @precondition(lambda self: self.new_store_listing is None)
    @rule()
    def a_stranger_signs_up_opens_a_store_and_lists(self):
        """The front door's acts, as a browser posts them: after them the new listing is on
        sale, and the rules below buy it and cancel it like any other."""
        run = f"{uuid.uuid4().hex[:8]}"
        client = Client()
        email = f"stranger-{run}@example.com"
        response = client.post(
            "/accounts/signup/",
            {
                "email": email,
                "username": f"stranger-{run}",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        assert response.status_code == 302, "sign-up refused"
        address = EmailAddress.objects.get(email=email)
        refused = client.post("/seller/start/", self._store_form(run))
        assert not hasattr(address.user, "seller") and refused.status_code == 200  # unconfirmed
        key = EmailConfirmationHMAC(address).key
        client.post(f"/accounts/confirm-email/{key}/")
        address.refresh_from_db()
        assert address.verified
        assert client.post("/seller/start/", self._store_form(run)).status_code == 302
        listed = client.post(
            "/seller/listings/new/",
            {
                "title": f"Stranger's kettle {run}",
                "description": "A kettle.",
                "condition": "new",
                "price": "15.00",
                "stock": "6",
                "handling_days": "2",
                "is_active": "on",
                "photos": image_file(),
            },
        )
        assert listed.status_code == 302, "listing refused"
        listing = Listing.objects.get(seller__user__email=email)
        assert listing.is_active and listing.photos.count() == 1
        self.new_store_listing = listing
        self.listings.append(listing)
        self.accounted[listing.pk] = listing.stock

    @staticmethod
    def _store_form(run: str) -> dict[str, str]:
        return {
            "store_name": f"Stranger's store {run}",
            "return_name": "Stranger",
            "return_line1": "1 New Street",
            "return_city": "Springfield",
            "return_postcode": "12345",
            "return_country": "US",
            "default_handling_days": "2",
            "policies": "",
        }

    @precondition(lambda self: self.new_store_listing is not None)
    @rule(quantity=st.integers(1, 3))
    def buy_from_the_new_store(self, quantity):
        """The buyer orders from the stranger's store: an order like any other."""
        listing = Listing.objects.get(pk=self.new_store_listing.pk)
        try:
            (order,) = place_orders(
                buyer=self.buyer,
                items={listing.pk: quantity},
                address=ADDRESS,
                card_number=GOOD_CARD,
            )
        except OrderError:
            assert listing.stock < quantity or not listing.is_active
            event("new store: refused (out of stock)")
            return
        event("new store: ordered")
        assert order.seller_id == listing.seller_id and order.status == OrderStatus.UNSHIPPED
        assert order.lines.get().image  # the photo it was bought with
        self.order_ids.append(order.pk)

    @precondition(lambda self: self._has_orders(status=OrderStatus.PAYMENT_FAILED))
    @rule(data=st.data(), card=st.sampled_from([GOOD_CARD, DECLINED_CARD]))
    def revise_declined_payment(self, data, card):
        order, _lines = self._draw_order(data, likely=[OrderStatus.PAYMENT_FAILED])
        in_time = timezone.now() <= order.placed_at + timedelta(days=settings.PAYMENT_REVISE_DAYS)
        allowed = order.status == OrderStatus.PAYMENT_FAILED and in_time
        try:
            revise_payment(order_id=order.pk, card_number=card, actor=Actor.buyer(self.buyer))
        except OrderError:
            event(f"revise: refused ({order.status}, {'in' if in_time else 'out of'} time)")
            assert not allowed, "a revision within the window was refused"
            return
        event(f"revise: {'good' if card == GOOD_CARD else 'declined'} card")
        assert allowed, (
            f"a revision of an order in {order.status} was accepted (in time: {in_time})"
        )
        order.refresh_from_db()
        good = card == GOOD_CARD
        assert order.status == (OrderStatus.UNSHIPPED if good else OrderStatus.PAYMENT_FAILED)

    # --- Seller fulfilment ----------------------------------------------------------------
    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def prepare(self, data):
        order, _lines = self._draw_order(data, likely=[OrderStatus.UNSHIPPED])
        try:
            start_preparing(order_id=order.pk, actor=Actor.seller(order.seller.user))
        except OrderError:
            event("prepare: refused")
            assert order.status != OrderStatus.UNSHIPPED
            return
        event("prepare: preparing")
        assert order.status == OrderStatus.UNSHIPPED
        order.refresh_from_db()
        assert order.status == OrderStatus.PREPARING

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def ship_part(self, data):
        order, lines = self._draw_order(data, likely=SHIPPABLE_STATES)
        quantities = self._draw_quantities(data, lines)
        allowed = order.status in SHIPPABLE_STATES and self._valid(lines, quantities)
        before = self._snapshot(order.pk)
        try:
            confirm_shipment(
                order_id=order.pk,
                quantities=quantities,
                carrier="UPS",
                tracking_number=uuid.uuid4().hex[:12],
                actor=Actor.seller(order.seller.user),
            )
        except OrderError:
            event("ship: refused")
            assert not allowed, "a valid shipment was refused"
            assert self._snapshot(order.pk) == before
            return
        event("ship: shipped")
        assert allowed, f"shipped {quantities} of an order in {order.status}"
        after = {line.pk: line for line in OrderLine.objects.filter(order=order)}
        for line in lines:
            assert after[line.pk].quantity_shipped == line.quantity_shipped + quantities[line.pk]

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def ship_while_the_gateway_times_out(self, data):
        """
        A shipment's capture gets no answer from the gateway, and the outbox's retry none
        either; the reconciliation job, run once the capture is overdue, settles it.
        """
        order, lines = self._draw_order(data, likely=SHIPPABLE_STATES)
        quantities = self._draw_quantities(data, lines)
        if not (order.status in SHIPPABLE_STATES and self._valid(lines, quantities)):
            event("ship, gateway silent: nothing to ship")
            return
        confirm_shipment(
            order_id=order.pk,
            quantities=quantities,
            carrier="UPS",
            tracking_number=uuid.uuid4().hex[:12],
            actor=Actor.seller(order.seller.user),
        )
        pending = order.payment.transactions.filter(status=PaymentTransaction.Status.PENDING)
        captures = list(pending.filter(kind=PaymentTransaction.Kind.CAPTURE))
        if not captures:  # captured at checkout already
            event("ship, gateway silent: no capture")
            return
        messages = OutboxMessage.objects.filter(
            kind=payments.TRANSACTION_MESSAGE, status=OutboxMessage.Status.PENDING
        )
        with inject_timeouts(10):
            for message_id in messages.values_list("pk", flat=True):
                outbox.deliver(message_id)
        assert pending.filter(pk__in=[row.pk for row in captures]).count() == len(captures)
        pending.update(created_at=F("created_at") - timedelta(hours=1))
        payment_tasks.reconcile_pending_transactions_task()
        event("ship, gateway silent: reconciled")
        assert not pending.filter(pk__in=[row.pk for row in captures]).exists()

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def deliver(self, data):
        order, _lines = self._draw_order(data, likely=[OrderStatus.SHIPPED])
        try:
            mark_delivered(order_id=order.pk, actor=Actor.system())
        except OrderError:
            event("deliver: refused")
            assert order.status != OrderStatus.SHIPPED
            return
        event("deliver: delivered")
        assert order.status == OrderStatus.SHIPPED
        order.refresh_from_db()
        assert order.status == OrderStatus.DELIVERED

    # --- Cancellations ------------------------------------------------------------------
    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), reason=st.sampled_from(BUYER_REASONS))
    def cancel_as_buyer(self, data, reason):
        """Directly when the rules allow it, otherwise by asking the seller."""
        order, lines = self._draw_order(data, likely=CANCELLABLE_STATES)
        quantities = self._draw_quantities(data, lines)
        mode = buyer_mode(order, lines)
        valid = self._valid(lines, quantities)
        pending = order.cancellation_requests.filter(
            status=CancellationRequest.Status.PENDING
        ).exists()
        before = self._snapshot(order.pk)
        try:
            result = submit_buyer_cancellation(
                order_id=order.pk,
                quantities=quantities,
                reason=reason,
                note="Changed my mind." if reason == Reason.OTHER else "",
                actor=Actor.buyer(self.buyer),
                idempotency_key=uuid.uuid4().hex,
                expected_mode=mode or BuyerMode.DIRECT,
            )
        except CancellationError:
            allowed = valid and (
                mode == BuyerMode.DIRECT or (mode == BuyerMode.REQUEST and not pending)
            )
            event(f"buyer: refused ({mode})")
            assert not allowed, f"the buyer was refused ({mode}, {quantities})"
            assert self._snapshot(order.pk) == before
            return
        event(f"buyer: {mode}")
        assert valid, f"the buyer cancelled {quantities} of {before}"
        if mode == BuyerMode.DIRECT:
            assert isinstance(result, Cancellation)
            assert result.counts_against_seller is False
            self._assert_cancelled(order.pk, lines, quantities, result)
        else:
            assert mode == BuyerMode.REQUEST and not pending
            assert isinstance(result, CancellationRequest)
            assert result.status == CancellationRequest.Status.PENDING
            assert self._snapshot(order.pk) == before  # a request cancels nothing yet

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), reason=st.sampled_from(SELLER_REASONS))
    def cancel_as_seller(self, data, reason):
        order, lines = self._draw_order(data, likely=CANCELLABLE_STATES)
        self._cancel_for(order, lines, self._draw_quantities(data, lines), reason, "seller")

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def cancel_as_system(self, data):
        """The shipping-delay job's act (run on any order: the service re-checks)."""
        order, lines = self._draw_order(data, likely=SHIPPABLE_STATES)
        quantities = self._draw_quantities(data, lines)
        self._cancel_for(order, lines, quantities, Reason.SHIPPING_DELAY, "system")

    def _cancel_for(self, order, lines, quantities, reason, role):
        actor = Actor.system() if role == "system" else Actor.seller(order.seller.user)
        allowed = order.status in CANCELLABLE_STATES and self._valid(lines, quantities)
        before = self._snapshot(order.pk)
        try:
            cancellation = cancel_items(
                order_id=order.pk, quantities=quantities, reason=reason, actor=actor
            )
        except CancellationError:
            event(f"{role}: refused")
            assert not allowed, f"the {role} was refused ({order.status}, {quantities})"
            assert self._snapshot(order.pk) == before
            return
        event(f"{role}: cancelled ({reason})")
        assert allowed, f"the {role} cancelled {quantities} of an order in {order.status}"
        self._assert_cancelled(order.pk, lines, quantities, cancellation)
        assert cancellation.counts_against_seller is True  # no buyer request behind it
        if reason == Reason.NO_INVENTORY:
            # The seller said the shelf is empty: believe them, and count from there.
            for line in lines:
                if quantities[line.pk]:
                    assert Listing.objects.get(pk=line.listing_id).stock == 0
                    self.accounted[line.listing_id] = self._held(line.listing_id)

    def _held(self, listing_id) -> int:
        """Units of a listing in this machine's orders that are open or shipped."""
        lines = OrderLine.objects.filter(order_id__in=self.order_ids, listing_id=listing_id)
        return sum(line.quantity - line.quantity_cancelled for line in lines)

    @precondition(
        lambda self: CancellationRequest.objects.filter(
            order_id__in=self.order_ids, status=CancellationRequest.Status.PENDING
        ).exists()
    )
    @rule(data=st.data())
    def withdraw(self, data):
        pending = CancellationRequest.objects.filter(
            order_id__in=self.order_ids, status=CancellationRequest.Status.PENDING
        )
        request_id = data.draw(st.sampled_from(sorted(pending.values_list("pk", flat=True))))
        withdraw_request(request_id=request_id, actor=Actor.buyer(self.buyer))
        event("withdraw: withdrawn")
        withdrawn = CancellationRequest.objects.get(pk=request_id)
        assert withdrawn.status == CancellationRequest.Status.WITHDRAWN

    def _pending_request(self, data):
        pending = CancellationRequest.objects.filter(
            order_id__in=self.order_ids, status=CancellationRequest.Status.PENDING
        )
        request_id = data.draw(st.sampled_from(sorted(pending.values_list("pk", flat=True))))
        return CancellationRequest.objects.select_related("order__seller__user").get(pk=request_id)

    @precondition(
        lambda self: CancellationRequest.objects.filter(
            order_id__in=self.order_ids, status=CancellationRequest.Status.PENDING
        ).exists()
    )
    @rule(data=st.data())
    def seller_answers_a_request(self, data):
        """The seller approves (refused if some asked-for units shipped) or declines."""
        request = self._pending_request(data)
        seller = Actor.seller(request.order.seller.user)
        if data.draw(st.booleans(), label="approve"):
            asked = {rl.order_line_id: rl.quantity for rl in request.lines.all()}
            open_now = {
                line.pk: _open(line) for line in OrderLine.objects.filter(order=request.order)
            }
            possible = all(qty <= open_now[pk] for pk, qty in asked.items())
            try:
                cancellation = approve_request(request_id=request.pk, actor=seller)
            except CancellationError:
                event("seller approves: refused (shipped meanwhile)")
                assert not possible
                return
            event("seller approves")
            assert possible
            assert cancellation.counts_against_seller is False
            assert cancellation.reason == Reason.BUYER_CANCELLED
        else:
            decline_request(request_id=request.pk, note="Already packed.", actor=seller)
            event("seller declines")
            request.refresh_from_db()
            assert request.status == CancellationRequest.Status.DECLINED

    @precondition(lambda self: self.order_ids)
    @rule(job=st.sampled_from(["delay", "auto_cancel", "unpaid", "requests"]))
    def a_job_runs(self, job):
        """A beat job runs (twice, as after a redelivery); afterwards nothing of it is due."""
        now = timezone.now()
        run = {
            "delay": order_tasks.send_delay_notices_task,
            "auto_cancel": cancellation_tasks.auto_cancel_late_orders_task,
            "unpaid": cancellation_tasks.cancel_unpaid_orders_task,
            "requests": cancellation_tasks.answer_overdue_requests_task,
        }[job]
        done = run()
        event(f"job {job}: {'did something' if done else 'nothing due'}")
        assert run() == 0, "a second run did something again"
        mine = self._orders()
        if job == "delay":
            assert not order_jobs.late_orders_to_notify(now).filter(pk__in=self.order_ids)
        elif job == "auto_cancel":
            assert not order_jobs.overdue_orders(now).filter(pk__in=mine)
        elif job == "unpaid":
            assert not cancellation_jobs.unpaid_orders(now).filter(pk__in=mine)
        else:
            assert not cancellation_jobs.overdue_requests(now).filter(order__in=mine)

    # --- Time ---------------------------------------------------------------------------
    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), step=st.sampled_from(TIME_STEPS))
    def time_passes(self, data, step):
        """An order grows older: its direct-cancel window closes, it may become late."""
        order, _lines = self._draw_order(data)
        event(f"time passes: {step}")
        Order.objects.filter(pk=order.pk).update(
            placed_at=order.placed_at - step,
            ship_by=order.ship_by - step,
            deliver_by=order.deliver_by - step,
        )
        # Its cancellation requests grow older with it (the request deadline job's clock),
        # and so do the money it gave back (the refund's settlement clock) and its cases
        # (the seller's window to respond).
        CancellationRequest.objects.filter(order=order).update(created_at=F("created_at") - step)
        PaymentTransaction.objects.filter(payment_id=order.payment_id).update(
            created_at=F("created_at") - step
        )
        Dispute.objects.filter(order=order).update(
            created_at=F("created_at") - step, respond_by=F("respond_by") - step
        )
        # Its delivery (the return window's clock) and its returns' deadlines.
        order.events.filter(type=OrderEvent.Type.DELIVERED).update(
            created_at=F("created_at") - step
        )
        ReturnRequest.objects.filter(order=order).update(
            requested_at=F("requested_at") - step,
            respond_by=F("respond_by") - step,
            ship_back_by=F("ship_back_by") - step,
            receive_by=F("receive_by") - step,
        )

    # --- Returns ------------------------------------------------------------------------
    def _returns(self, *statuses):
        return ReturnRequest.objects.filter(order_id__in=self.order_ids, status__in=statuses)

    def _draw_return(self, data, *statuses) -> ReturnRequest:
        found = list(self._returns(*statuses).select_related("order__seller__user").order_by("pk"))
        return data.draw(st.sampled_from(found), label="return")

    @staticmethod
    def _refundable(order) -> Decimal:
        payment = Payment.objects.get(pk=order.payment_id)
        return money_position(payment).refundable

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), reason=st.sampled_from(ReturnReason.values), opened=st.booleans())
    def buyer_asks_to_return(self, data, reason, opened):
        """Accepted exactly when the return rules, asked of the order as it is, say so."""
        order, lines = self._draw_order(
            data, likely=[*SHIPPABLE_STATES, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
        )
        if order.status in (*SHIPPABLE_STATES, OrderStatus.SHIPPED) and data.draw(
            st.sampled_from(MOSTLY), label="ship and deliver first"
        ):
            # In the same step the seller ships what is open and the carrier delivers it:
            # only delivered items return, and short runs seldom deliver one otherwise.
            order, lines = self._ship_and_deliver(order, lines)
        existing = list(order.returns.prefetch_related("lines"))
        returnable = returnable_units(lines, existing)
        # Mostly within what may return; sometimes one unit more than that.
        extra = 0 if data.draw(st.sampled_from(MOSTLY), label="within returnable") else 1
        quantities = {
            line.pk: data.draw(st.integers(0, returnable[line.pk] + extra), label="return units")
            for line in lines
        }
        if not any(quantities.values()) and any(returnable.values()):
            first = next(pk for pk, units in returnable.items() if units)
            quantities[first] = 1
        value = sum((line.unit_price * quantities[line.pk] for line in lines), Decimal(0))
        allowed = (
            why_not_return(order, lines, existing) is None
            and any(quantities.values())
            and all(qty <= returnable[pk] for pk, qty in quantities.items())
        )
        if (
            allowed
            and order.seller.returnless_refund_under
            and value < order.seller.returnless_refund_under
        ):
            allowed = value <= self._refundable(order)  # refunded at once, within the bound
        try:
            returns.request_return(
                order_id=order.pk,
                quantities=quantities,
                reason=reason,
                note="Blue, not red." if reason == ReturnReason.NOT_AS_DESCRIBED else "",
                opened=opened,
                actor=Actor.buyer(self.buyer),
            )
        except returns.ReturnError:
            event("return: refused")
            assert not allowed, "a return the rules allow was refused"
            return
        event("return: requested")
        assert allowed, f"a return of an order in {order.status} was accepted"

    def _ship_and_deliver(self, order, lines):
        if any(_open(line) for line in lines):
            confirm_shipment(
                order_id=order.pk,
                quantities={line.pk: _open(line) for line in lines},
                carrier="UPS",
                tracking_number=uuid.uuid4().hex[:12],
                actor=Actor.seller(order.seller.user),
            )
        mark_delivered(order_id=order.pk, actor=Actor.system())
        self.books_balance()  # the capture runs, as a worker would after the commit
        order = Order.objects.select_related("payment", "seller__user").get(pk=order.pk)
        return order, list(order.lines.order_by("pk"))

    @precondition(lambda self: self._returns(ReturnStatus.REQUESTED).exists())
    @rule(data=st.data(), authorize=st.sampled_from(MOSTLY))
    def seller_answers_a_return(self, data, authorize):
        found = self._draw_return(data, ReturnStatus.REQUESTED)
        seller = Actor.seller(found.order.seller.user)
        if authorize:
            returns.authorize_return(return_id=found.pk, actor=seller)
            event("return: authorized")
        else:
            returns.close_return(
                return_id=found.pk, reason="not_sold_here", note="Not ours.", actor=seller
            )
            event("return: closed by the seller")

    @precondition(lambda self: self._returns(ReturnStatus.AUTHORIZED).exists())
    @rule(data=st.data())
    def buyer_ships_a_return_back(self, data):
        found = self._draw_return(data, ReturnStatus.AUTHORIZED)
        returns.add_tracking(
            return_id=found.pk,
            carrier="UPS",
            tracking_number="1ZBACK",
            actor=Actor.buyer(self.buyer),
        )
        if data.draw(st.booleans(), label="carrier delivers it"):
            returns.mark_delivered_back(return_id=found.pk, actor=Actor.system())
        event("return: shipped back")

    @precondition(
        lambda self: self._returns(ReturnStatus.SHIPPED_BACK, ReturnStatus.DELIVERED_BACK).exists()
    )
    @rule(data=st.data(), sellable=st.booleans(), fee_cents=st.integers(0, 3000))
    def seller_receives_a_return(self, data, sellable, fee_cents):
        found = self._draw_return(data, ReturnStatus.SHIPPED_BACK, ReturnStatus.DELIVERED_BACK)
        fee = min(Decimal(fee_cents) / 100, found.max_restocking_fee + Decimal("0.01"))
        allowed = fee <= found.max_restocking_fee and (
            found.item_value - fee <= self._refundable(found.order)
        )
        try:
            returns.receive_return(
                return_id=found.pk,
                condition=ItemCondition.SELLABLE if sellable else ItemCondition.DAMAGED,
                restocking_fee=fee,
                actor=Actor.seller(found.order.seller.user),
            )
        except returns.ReturnError:
            event("return receipt: refused")
            assert not allowed, "a receipt within the rules was refused"
            return
        event("return: received and refunded")
        assert allowed, f"a fee of {fee} over {found.max_restocking_fee} was accepted"

    @precondition(lambda self: self._returns(*RETURN_OPEN).exists())
    @rule(job=st.sampled_from(["authorize", "close", "refund"]))
    def a_returns_job_runs(self, job):
        """A returns deadline job runs twice; afterwards none of this run's returns is due."""
        now = timezone.now()
        run, due = {
            "authorize": (return_tasks.authorize_overdue_returns_task, overdue_requests),
            "close": (return_tasks.close_unshipped_returns_task, unshipped_returns),
            "refund": (return_tasks.refund_unreceived_returns_task, unreceived_returns),
        }[job]
        done = run()
        event(f"returns job {job}: {'did something' if done else 'nothing due'}")
        assert run() == 0, "a second run did something again"
        mine = due(now).filter(order_id__in=self.order_ids)
        # A refund the payment cannot cover is refused and left for staff (logged).
        assert not mine.exists() or job == "refund"

    # --- After every step -------------------------------------------------------------------
    # --- Disputes ------------------------------------------------------------------------
    def _cases(self, *statuses):
        return Dispute.objects.filter(order_id__in=self.order_ids, status__in=statuses)

    def _draw_case(self, data, *statuses) -> Dispute:
        cases = list(self._cases(*statuses).select_related("order__seller__user").order_by("pk"))
        return data.draw(st.sampled_from(cases), label="case")

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def buyer_opens_a_case(self, data):
        """
        Opened exactly when the opening rules, asked of the order as it is, say so. Mostly
        a reason the rules offer (so cases open and the steps below have some to act on).
        """
        order, lines = self._draw_order(
            data,
            likely=[*SHIPPABLE_STATES, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
        )
        if order.status in SHIPPABLE_STATES and data.draw(
            st.sampled_from(MOSTLY), label="ship first"
        ):
            # The seller ships what is open first, in the same step: most cases need a
            # shipped item, and short runs seldom ship one otherwise.
            confirm_shipment(
                order_id=order.pk,
                quantities={line.pk: _open(line) for line in lines},
                carrier="UPS",
                tracking_number=uuid.uuid4().hex[:12],
                actor=Actor.seller(order.seller.user),
            )
            self.books_balance()  # the capture runs, as a worker would after the commit
            order = Order.objects.select_related("payment", "seller__user").get(pk=order.pk)
            lines = list(order.lines.order_by("pk"))
        facts = dispute_selectors.opening_facts(order, lines)
        offered = dispute_rules.reasons_now(facts).offered
        reasons = (
            offered
            if offered and data.draw(st.sampled_from(MOSTLY), label="an offered reason")
            else Dispute.Reason.values
        )
        reason = data.draw(st.sampled_from(reasons), label="reason")
        refusal = dispute_rules.why_not(reason, facts)
        before = Dispute.objects.filter(order=order).count()
        try:
            disputes.open_dispute(
                order_id=order.pk,
                reason=reason,
                description="Something went wrong.",
                actor=Actor.buyer(self.buyer),
            )
        except disputes.DisputeError as error:
            event(f"open case ({reason}): refused")
            assert str(error) == refusal, f"{reason} refused: {error} (rules: {refusal})"
            assert Dispute.objects.filter(order=order).count() == before
            return
        event(f"open case ({reason}): opened")
        assert refusal is None, f"{reason} opened although the rules said: {refusal}"

    @precondition(lambda self: self._cases(*UNRESOLVED).exists())
    @rule(data=st.data(), cents=st.integers(min_value=1, max_value=5000), full=st.booleans())
    def seller_offers(self, data, cents, full):
        case = self._draw_case(data, *UNRESOLVED)
        kind = Dispute.OfferKind.FULL if full else Dispute.OfferKind.PARTIAL
        try:
            disputes.make_offer(
                dispute_id=case.pk,
                kind=kind,
                amount=None if full else Decimal(cents) / 100,
                actor=Actor.seller(case.order.seller.user),
            )
        except disputes.DisputeError:
            event("offer: refused")
            return
        event(f"offer: {kind}")

    @precondition(lambda self: self._cases(*UNRESOLVED).exclude(offer_kind="").exists())
    @rule(data=st.data())
    def buyer_accepts_the_offer(self, data):
        case = self._draw_case(data, *UNRESOLVED)
        try:
            as_shown.accept_offer(dispute_id=case.pk, actor=Actor.buyer(self.buyer))
        except disputes.DisputeError:
            event("accept: refused")
            return
        event("accept: resolved by agreement")

    @precondition(lambda self: self._cases(*UNRESOLVED).exists())
    @rule(data=st.data(), role=st.sampled_from(["buyer", "seller"]))
    def a_party_escalates(self, data, role):
        """The seller at any time; the buyer once the seller answered or their window closed."""
        case = self._draw_case(data, *UNRESOLVED)
        refusal = dispute_rules.why_not_escalate(case, role)
        actor = Actor.buyer(self.buyer) if role == "buyer" else Actor.seller(case.order.seller.user)
        try:
            disputes.escalate(dispute_id=case.pk, actor=actor)
        except disputes.DisputeError as error:
            event(f"escalate ({role}): refused")
            assert str(error) == refusal, f"{role} refused: {error} (rules: {refusal})"
            return
        event(f"escalate ({role}): under review")
        assert refusal is None, f"the {role} escalated although the rules said: {refusal}"

    @precondition(lambda self: self._cases(*UNRESOLVED).exists())
    @rule(
        data=st.data(),
        for_buyer=st.booleans(),
        cents=st.one_of(st.none(), st.integers(min_value=1, max_value=5000)),
    )
    def staff_resolve(self, data, for_buyer, cents):
        case = self._draw_case(data, *UNRESOLVED)
        staff = Actor.staff(self.staff)
        try:
            if for_buyer:
                amount = None if cents is None else Decimal(cents) / 100
                as_shown.resolve_for_buyer(
                    dispute_id=case.pk, note="Decided.", amount=amount, actor=staff
                )
            else:
                disputes.resolve_for_seller(dispute_id=case.pk, note="Decided.", actor=staff)
        except disputes.DisputeError:
            event("staff resolve: refused")
            return
        event(f"staff resolve: for the {'buyer' if for_buyer else 'seller'}")

    @invariant()
    def the_page_cache_serves_what_a_render_shows(self):
        """
        The buyer's latest order pages and Your Orders' tabs, and each seller's orders and
        requests, as served (from core.pagecache once viewed after the previous step), are
        what a fresh render shows: no step of anyone's changes what a page shows without
        changing its key (the rows' digest, the buyer's or the seller's version).
        """
        numbers = Order.objects.filter(pk__in=self.order_ids[-3:]).values_list("number", flat=True)
        pages = [(self.buyer_browser, f"/your-orders/{number}/") for number in numbers]
        pages += [
            (self.buyer_browser, f"{reverse('orders:your_orders')}?tab={tab}")
            for tab in BuyerTab.values
        ]
        for browser in self.seller_browsers:
            pages += [(browser, reverse(name)) for name in SELLER_PAGES]
        for browser, url in pages:
            assert_served_as_rendered(browser, url, settings)

    @invariant()
    def books_balance(self):
        # What a Celery worker would do after each commit: deliver the outbox. Retries
        # of authorizations are left to the rules above, which split them in two.
        waiting = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exclude(
            kind=AUTHORIZATION_RETRY
        )
        for _ in range(5):
            ids = list(waiting.values_list("pk", flat=True))
            if not ids:
                break
            for message_id in ids:
                outbox.deliver(message_id)
        assert not waiting.exists()

        orders = list(
            self._orders()
            .select_related("payment")
            .prefetch_related("lines", "events", "cancellations__lines")
        )
        for order in orders:
            self._check_order(order)
        self._check_stock()

    @staticmethod
    def _check_returns(order, lines):
        """Returned units were shipped, once; a refunded return's money left, exactly."""
        returned: dict[int, int] = {}
        for found in order.returns.prefetch_related("lines"):
            assert found.restocking_fee <= found.max_restocking_fee
            if found.status != ReturnStatus.CLOSED:
                for line in found.lines.all():
                    returned[line.order_line_id] = (
                        returned.get(line.order_line_id, 0) + line.quantity
                    )
            refunds = order.payment.transactions.filter(
                kind=PaymentTransaction.Kind.REFUND, idempotency_key=f"refund:return:{found.pk}"
            )
            if found.status == ReturnStatus.REFUNDED:
                assert found.refund_amount == found.item_value - found.restocking_fee
                money = sum((row.amount for row in refunds), Decimal(0))
                voided = order.payment.transactions.filter(
                    kind=PaymentTransaction.Kind.VOID, idempotency_key=f"void:return:{found.pk}"
                ).aggregate(total=Sum("amount", default=Decimal(0)))["total"]
                assert money + voided == found.refund_amount
            else:
                assert not refunds.exists() and found.refund_amount == 0
        for line in lines:
            assert returned.get(line.pk, 0) <= line.quantity_shipped

    def _check_stock(self):
        held = {
            row["listing_id"]: row["held"]
            for row in OrderLine.objects.filter(order_id__in=self.order_ids)
            .values("listing_id")
            .annotate(held=Sum("quantity") - Sum("quantity_cancelled"))
        }
        # Units a return put back on the shelf were shipped, and are on the shelf again.
        restocked = {
            row["order_line__listing_id"]: row["units"]
            for row in ReturnLine.objects.filter(
                return_request__order_id__in=self.order_ids, return_request__restocked=True
            )
            .values("order_line__listing_id")
            .annotate(units=Sum("quantity"))
        }
        for listing in Listing.objects.filter(pk__in=self.accounted):
            # stock + open + shipped == what the shelf started with (quantity - cancelled
            # is exactly open + shipped), plus what returns restocked.
            on_hand = listing.stock - restocked.get(listing.pk, 0)
            assert on_hand + held.get(listing.pk, 0) == self.accounted[listing.pk], (
                f"listing {listing.title}: stock {listing.stock}, held {held.get(listing.pk, 0)}"
            )

    def _check_order(self, order):
        lines = list(order.lines.all())
        by_id = {line.pk: line for line in lines}
        self._check_returns(order, lines)
        for line in lines:
            assert 0 <= line.quantity_cancelled + line.quantity_shipped <= line.quantity
            cancelled = sum(
                cl.quantity
                for c in order.cancellations.all()
                for cl in c.lines.all()
                if cl.order_line_id == line.pk
            )
            assert cancelled == line.quantity_cancelled
            shipped = ShipmentLine.objects.filter(line=line).aggregate(n=Sum("quantity"))["n"]
            assert (shipped or 0) == line.quantity_shipped

        # The state matches the quantities.
        open_units = sum(_open(line) for line in lines)
        shipped_units = sum(line.quantity_shipped for line in lines)
        if open_units == 0:
            if shipped_units == 0:
                assert order.status == OrderStatus.CANCELLED
            else:
                assert order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
        elif shipped_units:
            assert order.status == OrderStatus.PARTIALLY_SHIPPED
        else:
            assert order.status in (
                OrderStatus.PENDING_PAYMENT,
                OrderStatus.PAYMENT_FAILED,
                OrderStatus.UNSHIPPED,
                OrderStatus.PREPARING,
            )

        # The audit trail: placed once, one "items cancelled" event per cancellation.
        events = list(order.events.all())
        assert sum(e.type == OrderEvent.Type.PLACED for e in events) == 1
        cancelled_events = [
            e.payload.get("cancellation")
            for e in events
            if e.type == OrderEvent.Type.ITEMS_CANCELLED
        ]
        assert sorted(cancelled_events) == sorted(c.pk for c in order.cancellations.all())
        for cancellation in order.cancellations.all():
            assert cancellation.refund_amount == sum(
                (
                    cl.quantity * by_id[cl.order_line_id].unit_price
                    for cl in cancellation.lines.all()
                ),
                Decimal(0),
            )

        self._check_money(order, lines, unrecorded=order.pk in self._unrecorded_order_ids())

    def _unrecorded_order_ids(self) -> set[int]:
        return {
            payload["order_id"] for payload in self._retries().values_list("payload", flat=True)
        }

    @staticmethod
    def _check_money(order, lines, *, unrecorded=False):
        payment = order.payment
        assert payment.amount_refunded <= payment.amount_captured
        assert payment.amount_captured + payment.amount_voided <= payment.amount_authorized
        # Every money call queued was executed, and the gateway accepted it.
        assert (
            not payment.transactions.exclude(kind=PaymentTransaction.Kind.AUTHORIZE)
            .exclude(status=PaymentTransaction.Status.SUCCEEDED)
            .exists()
        )
        shipped = sum((line.unit_price * line.quantity_shipped for line in lines), Decimal(0))
        cancelled = sum((line.unit_price * line.quantity_cancelled for line in lines), Decimal(0))
        # What Resolution Center cases refunded (their money calls are keyed "dispute:<id>").
        by_cases = payment.transactions.filter(
            kind=PaymentTransaction.Kind.REFUND,
            status=PaymentTransaction.Status.SUCCEEDED,
            idempotency_key__contains="dispute:",
        ).aggregate(total=Sum("amount", default=Decimal(0)))["total"]
        # What refunded returns gave back (keyed "return:<id>").
        by_cases += payment.transactions.filter(
            kind=PaymentTransaction.Kind.REFUND,
            status=PaymentTransaction.Status.SUCCEEDED,
            idempotency_key__contains="return:",
        ).aggregate(total=Sum("amount", default=Decimal(0)))["total"]
        if not payment.amount_authorized:
            # Never authorized (declined, or no answer yet): nothing shipped, no money moved.
            assert order.status in (
                OrderStatus.PENDING_PAYMENT,
                OrderStatus.PAYMENT_FAILED,
                OrderStatus.CANCELLED,
            )
            assert shipped == 0
            assert (payment.amount_captured, payment.amount_voided, payment.amount_refunded) == (
                0,
                0,
                0,
            )
            return
        assert payment.amount_authorized == order.total
        if unrecorded:
            # The gateway answered and the order does not know yet: what was cancelled
            # before the answer is released when it is recorded, never before, and
            # nothing is ever released twice.
            released = payment.amount_voided + payment.amount_refunded
            assert released <= cancelled
            assert shipped == 0
            return
        if settings.PAYMENT_CAPTURE == "checkout":
            # Everything was taken at checkout; cancelled units are refunded.
            assert payment.amount_captured == order.total
            assert payment.amount_refunded == cancelled + by_cases
            assert payment.amount_voided == 0
        else:
            # What shipped is captured, what was cancelled is released, the rest is held.
            assert payment.amount_captured == shipped
            assert payment.amount_voided == cancelled
            assert payment.amount_refunded == by_cases
            assert payment.amount_open == order.total - shipped - cancelled


@pytest.mark.parametrize("capture", ["shipment", "checkout"])
def test_the_books_balance_after_any_sequence_of_lifecycle_steps(settings, capture, gateway):
    """
    Any run of checkout, shipping and cancelling keeps stock, money, state, audit
    consistent, in both capture modes, through the sandbox and through the Stripe
    gateway against localstripe.
    """
    settings.PAYMENT_CAPTURE = capture
    settings.ACCOUNT_RATE_LIMITS = False  # a stranger signs up in many runs, from one address
    run_state_machine_as_test(
        LifecycleMachine,
        settings=hypothesis_settings(
            max_examples=int(os.environ.get("LIFECYCLE_EXAMPLES", 25)),
            stateful_step_count=15,
            deadline=None,
            database=None,  # no example database written into the repository
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
