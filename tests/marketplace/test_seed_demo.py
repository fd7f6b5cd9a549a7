"""`seed_demo` creates the demo accounts, listings and orders, and can run any number of times."""

from collections import Counter
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Reason
from catalog.models import Category, Listing, ListingPhoto, Seller
from notifications import outbox
from orders.models import ActorRole, Message, Order, OrderEvent, OrderLine, OrderStatus, Shipment
from payments.models import Payment, PaymentTransaction, SandboxCharge, StripeCharge
from returns.models import ReturnRequest, ReturnStatus
from sellercentral.health import account_health
from sellercentral.health.metrics import Status

pytestmark = pytest.mark.django_db

S = OrderStatus


def counts():
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {
            "auth",
            "account",
            "catalog",
            "orders",
            "cancellations",
            "payments",
            "disputes",
            "returns",
            "notifications",
        }
    }


@pytest.fixture(autouse=True)
def _laptop(settings):
    """seed_demo is a laptop command: it runs in debug mode (pytest turns DEBUG off)."""
    settings.DEBUG = True


@pytest.fixture
def seeded():
    call_command("seed_demo", history=False, verbosity=0)


def orders_of(username):
    return Order.objects.filter(buyer__username=username)


def test_seed_demo_creates_the_documented_accounts(seeded):
    """buyer, buyer2, seller, seller2 (with stores) and staff, all with the demo password."""
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert {"buyer", "buyer2", "seller", "seller2", "staff"} <= usernames
    assert set(Seller.objects.values_list("user__username", flat=True)) == {"seller", "seller2"}
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff
    assert authenticate(username="buyer", password="marketplace-demo") is not None


def test_demo_accounts_have_a_confirmed_primary_address_and_sign_in_by_it(seeded, client):
    """Each demo account's email is confirmed (a first order and a new store ask for it),
    and the demo password signs in by that address on the sign-in page."""
    for user in get_user_model().objects.filter(username__in=["buyer", "seller", "staff"]):
        assert EmailAddress.objects.filter(
            user=user, email=user.email, verified=True, primary=True
        ).exists()
    response = client.post(
        reverse("login"), {"login": "buyer@example.com", "password": "marketplace-demo"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(username="buyer").pk)


def test_seed_demo_twice_duplicates_nothing():
    """The second run of the whole command adds no row of any kind."""
    call_command("seed_demo", verbosity=0)
    first = counts()
    stock = dict(Listing.objects.values_list("pk", "stock"))
    placed = dict(Order.objects.values_list("pk", "placed_at"))

    call_command("seed_demo", verbosity=0)

    assert counts() == first
    assert dict(Listing.objects.values_list("pk", "stock")) == stock
    assert dict(Order.objects.values_list("pk", "placed_at")) == placed


def test_demo_listings_have_a_category_a_condition_and_one_to_three_photos(seeded):
    """The shop looks like one: every listing described, shelved and photographed."""
    listings = Listing.objects.annotate(photo_count=Count("photos"))

    assert not listings.filter(category=None).exists()
    assert not listings.filter(condition="").exists()
    assert {listing.photo_count for listing in listings} == {1, 2, 3}
    assert set(Category.objects.values_list("slug", flat=True)) >= {"stationery", "kitchen"}
    photo = ListingPhoto.objects.order_by("pk").first()
    assert (photo.width, photo.height) == (480, 480)


def test_demo_stores_have_a_return_address_and_policies(seeded):
    """Both demo stores can be shown on their page and take items back."""
    for seller in Seller.objects.all():
        assert seller.return_line1 and seller.return_postcode and seller.policies


def test_each_seller_has_realistic_listings(seeded):
    """Stationery for seller, kitchen goods for seller2: stock 5–50, handling 1–3 days."""
    titles = {
        username: set(
            Listing.objects.filter(seller__user__username=username).values_list("title", flat=True)
        )
        for username in ("seller", "seller2")
    }
    assert len(titles["seller"]) >= 3 and len(titles["seller2"]) >= 3
    assert any("notebook" in title.lower() for title in titles["seller"])
    assert any("kettle" in title.lower() for title in titles["seller2"])
    for listing in Listing.objects.all():
        assert listing.description and listing.price > 0 and listing.is_active
        assert 1 <= listing.handling_days <= 3
    # Stock as listed (5–50), less what the demo orders reserved and did not cancel.
    reserved = dict(
        OrderLine.objects.exclude(order__buyer__username="regular")
        .values("listing")
        .annotate(units=Sum(F("quantity") - F("quantity_cancelled")))
        .values_list("listing", "units")
    )
    for listing in Listing.objects.all():
        assert 5 <= listing.stock + reserved.get(listing.pk, 0) <= 50


def test_buyer_has_an_order_in_every_state(seeded):
    """Every order state the portal shows, each at the age that makes it that state."""
    now = timezone.now()
    orders = orders_of("buyer")
    assert {S.UNSHIPPED, S.PREPARING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED} <= set(
        orders.values_list("status", flat=True)
    )
    assert orders.filter(status=S.PAYMENT_FAILED, placed_at__gt=now - timedelta(days=3)).exists()
    # Unshipped, placed a minute ago (the buyer may still cancel directly) …
    assert orders.filter(status=S.UNSHIPPED, placed_at__gt=now - timedelta(minutes=5)).exists()
    # … and placed over an hour ago, not late yet (cancelling needs a request).
    assert orders.filter(
        status=S.UNSHIPPED, placed_at__lt=now - timedelta(hours=1), ship_by__gt=now
    ).exists()
    # Late: past ship-by, but not yet for the auto-cancel's 7 days …
    assert orders.filter(
        status__in=[S.UNSHIPPED, S.PREPARING],
        ship_by__lt=now,
        ship_by__gt=now - timedelta(days=7),
    ).exists()
    # … and late by more than 7 days (ship-by 9 days ago).
    assert orders.filter(
        status__in=[S.UNSHIPPED, S.PREPARING], ship_by__lt=now - timedelta(days=8)
    ).exists()
    assert Order.objects.late(now).filter(buyer__username="buyer").count() >= 2


def test_demo_orders_are_varied(seeded):
    """Some orders hold two or three lines, some come from seller2, buyer2 has one or two."""
    line_counts = list(orders_of("buyer").annotate(n=Count("lines")).values_list("n", flat=True))
    assert 2 in line_counts and 3 in line_counts
    assert orders_of("buyer").filter(seller__user__username="seller2").count() >= 2
    assert 1 <= orders_of("buyer2").count() <= 2
    assert Message.objects.filter(order__buyer__username="buyer").exists()


def test_demo_orders_went_through_the_services(seeded):
    """Their timelines, payments, shipments and stock are what the real services leave."""
    for order in Order.objects.all():
        types = list(order.events.values_list("type", flat=True))
        assert types[0] == OrderEvent.Type.PLACED
        assert order.events.get(type=OrderEvent.Type.PLACED).actor_role == ActorRole.BUYER
        assert order.events.first().created_at == order.placed_at  # dated with the order
        assert order.lines.exists()
        if order.status == S.PAYMENT_FAILED:
            assert order.payment.status == Payment.Status.FAILED
            assert OrderEvent.Type.PAYMENT_FAILED in types
            continue
        assert order.payment.amount_authorized == order.total
        assert SandboxCharge.objects.filter(reference=order.payment.charge_reference).exists()
        shipped = sum(order.lines.values_list("quantity_shipped", flat=True))
        if order.status in (S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED):
            assert shipped > 0
            assert Shipment.objects.filter(order=order).exists()
            captured = PaymentTransaction.objects.filter(
                payment=order.payment, kind=PaymentTransaction.Kind.CAPTURE
            ).aggregate(total=Sum("amount"))["total"]
            shipped_value = sum(
                line.unit_price * line.quantity_shipped for line in order.lines.all()
            )
            assert captured == shipped_value
        else:
            assert shipped == 0
        # Events are dated in the order they happened.
        dates = list(order.events.values_list("created_at", flat=True))
        assert dates == sorted(dates)


def test_bulk_orders_add_exactly_n_orders_one_in_ten_for_buyer2_one_in_two_from_seller(seeded):
    """--orders 50 adds 50 orders over the last 60 days, each complete: 5 for buyer2 and 45
    for crowd shoppers, 25 from seller and 25 from seller2."""
    before = set(Order.objects.values_list("pk", flat=True))
    stock = dict(Listing.objects.values_list("pk", "stock"))
    now = timezone.now()

    call_command("seed_demo", orders=50, history=False, verbosity=0)

    added = Order.objects.exclude(pk__in=before)
    assert added.count() == 50
    buyers = Counter(added.values_list("buyer__username", flat=True))
    assert buyers.pop("buyer2") == 5
    assert sum(buyers.values()) == 45
    assert all(username.startswith("shopper") for username in buyers)
    assert Counter(added.values_list("seller__user__username", flat=True)) == {
        "seller": 25,
        "seller2": 25,
    }
    assert added.filter(placed_at__gte=now - timedelta(days=60), placed_at__lte=now).count() == 50
    assert len(set(added.values_list("status", flat=True))) >= 2  # states spread by age
    assert len(set(OrderLine.objects.filter(order__in=added).values_list("listing", flat=True))) > 3
    # Each has its payment, lines and placed event; shipped ones shipped everything.
    assert OrderEvent.objects.filter(order__in=added, type=OrderEvent.Type.PLACED).count() == 50
    for order in added.prefetch_related("lines"):
        assert order.payment.amount == order.total
        assert order.total == sum(line.unit_price * line.quantity for line in order.lines.all())
        if order.status in (S.SHIPPED, S.DELIVERED):
            assert all(line.quantity_open == 0 for line in order.lines.all())
            assert order.payment.amount_captured == order.total
    # Past sales: the shelves the demo buys from are left as they were.
    assert dict(Listing.objects.values_list("pk", "stock")) == stock


def test_crowd_shoppers_cannot_sign_in_and_are_reused(seeded):
    """Shoppers have no usable password; a second run reuses them before adding more."""
    call_command("seed_demo", orders=100, history=False, verbosity=0)
    shoppers = get_user_model().objects.filter(username__startswith="shopper")
    first = set(shoppers.values_list("pk", flat=True))

    call_command("seed_demo", orders=100, history=False, verbosity=0)

    assert set(shoppers.values_list("pk", flat=True)) == first
    assert not any(user.has_usable_password() for user in shoppers)


def test_bulk_orders_carry_their_cancellations_requests_and_cases_whole(seeded, monkeypatch):
    """Given every bulk order past its first hour followed up, each act is whole: a
    cancelled order's units, money and timeline; a request's line and events; a case's."""
    from cancellations.models import Cancellation, CancellationRequest
    from disputes.models import Dispute

    monkeypatch.setattr("marketplace.demo.bulk.CANCELLED_SHARE", 0.3)
    monkeypatch.setattr("marketplace.demo.bulk.REQUEST_SHARE", 1.0)
    monkeypatch.setattr("marketplace.demo.bulk.DISPUTE_SHARE", 1.0)
    before = set(Order.objects.values_list("pk", flat=True))

    call_command("seed_demo", orders=200, history=False, verbosity=0)

    added = Order.objects.exclude(pk__in=before)
    cancelled = added.filter(status=S.CANCELLED)
    assert cancelled.exists()
    for order in cancelled.prefetch_related("lines"):
        cancellation = Cancellation.objects.get(order=order)
        assert sum(line.quantity for line in cancellation.lines.all()) == sum(
            line.quantity_cancelled for line in order.lines.all()
        )
        assert all(line.quantity_open == 0 for line in order.lines.all())
        assert order.payment.status == Payment.Status.VOIDED
        assert order.payment.amount_voided == order.total == cancellation.refund_amount
        assert order.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).exists()
    requests = CancellationRequest.objects.filter(order__in=added)
    assert requests.filter(status="declined").exists() and requests.filter(status="pending")
    for request in requests:
        assert request.lines.count() == 1
        assert request.order.status != S.CANCELLED
        shipped = request.order.status in (S.SHIPPED, S.DELIVERED)
        assert request.status == ("declined" if shipped else "pending")
    cases = Dispute.objects.filter(order__in=added)
    assert set(cases.values_list("order__status", flat=True)) == {S.DELIVERED}
    assert cases.count() == added.filter(status=S.DELIVERED).count()
    # Every timeline still reads in the order things happened.
    for order in added.filter(pk__in=requests.values("order")):
        dates = list(order.events.values_list("created_at", flat=True))
        assert dates == sorted(dates)


def test_bulk_orders_are_added_each_time_without_touching_the_demo(seeded):
    """Every --orders run adds its orders; buyer's demo orders stay as they were."""
    buyer_orders = dict(orders_of("buyer").values_list("pk", "status"))
    count = Order.objects.count()

    call_command("seed_demo", orders=30, history=False, verbosity=0)
    call_command("seed_demo", orders=20, history=False, verbosity=0)

    assert Order.objects.count() == count + 50
    assert dict(orders_of("buyer").values_list("pk", "status")) == buyer_orders


def test_bulk_orders_are_written_a_batch_at_a_time_and_whole(seeded, monkeypatch):
    """Given batches of 4, when 10 bulk orders are asked for, then 10 are written, each whole."""
    monkeypatch.setattr("marketplace.demo.bulk.BULK_BATCH_SIZE", 4)
    before = set(Order.objects.values_list("pk", flat=True))

    call_command("seed_demo", orders=10, history=False, verbosity=0)

    added = Order.objects.exclude(pk__in=before)
    assert added.count() == 10
    assert Payment.objects.filter(order__in=added).count() == 10
    placed = OrderEvent.objects.filter(order__in=added, type=OrderEvent.Type.PLACED)
    assert placed.count() == 10
    shipped = added.filter(status__in=[S.SHIPPED, S.DELIVERED])
    assert Shipment.objects.filter(order__in=added).count() == shipped.count()


def test_every_demo_case_is_walked_to_the_state_it_names(seeded):
    """Each demo case, found by the buyer's description, ends in the state its outcome names;
    only "open" stays as opened, and every walk is used."""
    from disputes.models import Dispute
    from marketplace.demo.cases import CASES, OUTCOMES

    named = {
        "open": Dispute.Status.OPEN,
        "offer": Dispute.Status.SELLER_RESPONDED,
        "escalated": Dispute.Status.UNDER_REVIEW,
        "for_buyer": Dispute.Status.RESOLVED_FOR_BUYER,
        "for_seller": Dispute.Status.RESOLVED_FOR_SELLER,
        "agreement": Dispute.Status.RESOLVED_BY_AGREEMENT,
        "withdrawn": Dispute.Status.WITHDRAWN,
    }
    states = dict(Dispute.objects.values_list("description", "status"))

    assert {description: states.get(description) for *_case, description in CASES} == {
        description: named[outcome] for _title, _reason, outcome, description in CASES
    }
    assert set(OUTCOMES) == set(named) - {"open"}


def test_a_negative_order_count_is_refused(seeded):
    """--orders -1 is an error, not a silent no-op."""
    before = counts()

    with pytest.raises(CommandError):
        call_command("seed_demo", orders=-1, history=False, verbosity=0)

    assert counts() == before


def test_buyer_has_a_pending_cancellation_request_and_a_cancelled_order(seeded):
    """The demo shows both sides of Cancel Items: a request waiting and a cancelled order."""
    from cancellations.models import Cancellation, CancellationRequest

    pending = CancellationRequest.objects.get(status="pending")
    assert pending.buyer.username == "buyer"
    assert pending.order.status == "unshipped"
    assert pending.lines.count() == 1
    cancelled = Order.objects.get(buyer__username="buyer", status="cancelled")
    cancellation = Cancellation.objects.get(order=cancelled)
    assert cancellation.initiator == "buyer"
    assert cancellation.created_at > cancelled.placed_at


def test_seed_demo_refuses_a_production_database(settings):
    """With DEBUG off it creates nothing (the demo password is published) unless forced."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", history=False, verbosity=0)
    assert not get_user_model().objects.filter(username="buyer").exists()

    call_command("seed_demo", force=True, history=False, verbosity=0)

    assert get_user_model().objects.filter(username="buyer").exists()


def test_demo_staff_belongs_to_the_marketplace_staff_group(seeded):
    staff = get_user_model().objects.get(username="staff")
    assert staff.groups.filter(name="Marketplace staff").exists()
    assert staff.has_perm("orders.view_order")
    assert staff.has_perm("notifications.view_outboxmessage")
    assert not staff.has_perm("orders.change_order")


def test_seed_demo_gives_seller_an_amber_rate_and_seller2_a_healthy_one():
    """Weeks of history: `seller` cancelled a few orders itself (amber), `seller2` none."""
    call_command("seed_demo", verbosity=0)

    seller = account_health(Seller.objects.get(user__username="seller"))
    seller2 = account_health(Seller.objects.get(user__username="seller2"))

    assert seller.cancellation_rate.status == Status.AMBER
    assert {row.reason for row in seller.reasons} >= {
        Reason.NO_INVENTORY,
        Reason.PRICING_ERROR,
        Reason.SHIPPING_DELAY,
        Reason.CREATED_BY_MISTAKE,
    }
    assert all(metric.status in (Status.GREEN, Status.NONE) for metric in seller2.metrics), (
        seller2.metrics
    )


def test_the_history_sends_no_email_and_nothing_waits_on_the_broker(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The past's emails are marked sent without sending, and seeding publishes no task
    (the sweep delivers the rest in batches): the beat jobs never queue behind the seed."""
    from notifications.emails import EMAIL
    from notifications.models import OutboxMessage
    from notifications.tasks import deliver_outbox_messages_task

    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)

    # The outbox publishes from on_commit callbacks, which never run inside a test's
    # rolled-back transaction: run them, or `published` would stay empty regardless.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)

    history = [
        message
        for message in OutboxMessage.objects.filter(kind=EMAIL)
        if "regular@example.com" in message.payload["to"]
    ]
    assert history
    assert {message.status for message in history} == {OutboxMessage.Status.DELIVERED}
    assert published == []


def test_the_worker_is_sent_none_of_the_demos_emails_and_the_seed_prints_nothing(mailoutbox):
    """`make run` prints the address and the accounts, then the live log: seeding prints
    nothing at verbosity 0, and the worker's first sweep sends none of the demo's emails
    (hundreds of console emails came before anything useful)."""
    from io import StringIO

    from notifications.emails import EMAIL
    from notifications.models import OutboxMessage
    from notifications.tasks import deliver_pending_outbox_task

    out = StringIO()
    call_command("seed_demo", verbosity=0, stdout=out, stderr=out)

    assert out.getvalue() == ""
    assert OutboxMessage.objects.filter(kind=EMAIL).exists()
    assert not OutboxMessage.objects.filter(
        kind=EMAIL, status=OutboxMessage.Status.PENDING
    ).exists()
    # When the worker's sweep runs, it settles the queued money calls and sends no email
    deliver_pending_outbox_task()
    assert mailoutbox == []


def test_seed_demo_with_the_stripe_gateway_moves_its_money_through_stripe(stripe_gateway):
    """
    With PAYMENT_GATEWAY=stripe (against localstripe) the story's payments, captures,
    voids and refunds go through Stripe: once the worker has run the queued money calls,
    every one succeeded and each payment's totals are its Stripe ledger's.
    """
    call_command("seed_demo", history=False, verbosity=0)
    for message_id in outbox.pending_message_ids(limit=10_000):
        outbox.deliver(message_id)

    moves = PaymentTransaction.objects.exclude(kind=PaymentTransaction.Kind.AUTHORIZE)
    assert moves.filter(kind=PaymentTransaction.Kind.CAPTURE).exists()
    assert moves.filter(kind=PaymentTransaction.Kind.VOID).exists()
    assert moves.filter(kind=PaymentTransaction.Kind.REFUND).exists()
    assert set(moves.values_list("status", flat=True)) == {PaymentTransaction.Status.SUCCEEDED}
    assert not SandboxCharge.objects.exists()
    for payment in Payment.objects.exclude(charge_reference=""):
        ledger = StripeCharge.objects.get(reference=payment.charge_reference)
        assert (
            ledger.amount_authorized,
            ledger.amount_captured,
            ledger.amount_voided,
            ledger.amount_refunded,
        ) == (
            payment.amount_authorized,
            payment.amount_captured,
            payment.amount_voided,
            payment.amount_refunded,
        )
    assert Payment.objects.filter(status=Payment.Status.FAILED).exists()  # the declined card


def test_bulk_orders_are_refused_with_the_stripe_gateway(settings):
    settings.PAYMENT_GATEWAY = "stripe"

    with pytest.raises(CommandError, match="PAYMENT_GATEWAY=sandbox"):
        call_command("seed_demo", orders=5, history=False, verbosity=0)


def test_buyer_has_a_return_in_each_state_with_seller_dated_as_it_happened(seeded):
    """Every return state, through the services: the deadlines still ahead where one runs."""
    now = timezone.now()
    returns = {
        r.status: r
        for r in ReturnRequest.objects.filter(
            buyer__username="buyer", order__seller__user__username="seller"
        )
    }

    assert set(returns) == set(ReturnStatus.values)
    assert returns[ReturnStatus.REQUESTED].respond_by > now
    assert returns[ReturnStatus.AUTHORIZED].ship_back_by > now
    assert returns[ReturnStatus.AUTHORIZED].return_address
    assert returns[ReturnStatus.SHIPPED_BACK].tracking_number
    assert returns[ReturnStatus.DELIVERED_BACK].receive_by > now
    refunded = returns[ReturnStatus.REFUNDED]
    assert refunded.restocking_fee > 0 and refunded.restocked
    assert refunded.refund_amount == refunded.item_value - refunded.restocking_fee
    assert returns[ReturnStatus.CLOSED].close_reason == "not_sold_here"
    for rma in returns.values():
        # Each step dated in order, after the order's delivery, before now.
        events = list(rma.order.events.order_by("pk").values_list("created_at", flat=True))
        assert events == sorted(events) and events[-1] < now
        assert rma.requested_at < now - timedelta(hours=1)
