"""
Seller Central home (sellercentral/health/): each metric against hand-computed
fixtures, and a page whose query count does not grow with the orders.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Cancellation, CancellationLine, Reason
from cancellations.services import approve_request, cancel_as_seller, request_cancellation
from orders.actors import Actor
from orders.models import Message, Order, Shipment
from sellercentral import health
from sellercentral.health import insights, metrics
from tests.factories import ListingFactory, OrderFactory, SellerFactory, UserFactory

from .conftest import age

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def cancel(order, *, reason, initiator, counts, days_ago=0, quantity=1):
    cancellation = Cancellation.objects.create(
        order=order,
        initiator=initiator,
        reason=reason,
        refund_amount=Decimal("10.00") * quantity,
        counts_against_seller=counts,
        created_at=NOW - timedelta(days=days_ago),
    )
    CancellationLine.objects.create(
        cancellation=cancellation, order_line=order.lines.first(), quantity=quantity
    )
    return cancellation


def placed(seller, *, days_ago=0, listing=None, **kwargs):
    at = NOW - timedelta(days=days_ago)
    return OrderFactory(
        seller=seller, placed_at=at, lines=[(listing, 2)] if listing else None, **kwargs
    )


# --- Cancellation rate ---------------------------------------------------------------------------
def test_cancellation_rate_counts_only_the_sellers_counted_cancellations_of_7_days(seller):
    """
    8 orders in 7 days; counted: a "No inventory", a shipping delay, and an order with two
    counted cancellations (once). Not counted: a buyer-requested "Buyer cancelled" and
    the buyer's own. An older order and another seller's are outside. 3 / 8 = 37.5 %.
    """
    orders = [placed(seller, days_ago=day % 6) for day in range(8)]
    cancel(orders[0], reason=Reason.NO_INVENTORY, initiator="seller", counts=True)
    cancel(orders[1], reason=Reason.BUYER_CANCELLED, initiator="seller", counts=False)
    cancel(orders[2], reason=Reason.CREATED_BY_MISTAKE, initiator="buyer", counts=False)
    cancel(orders[3], reason=Reason.SHIPPING_DELAY, initiator="system", counts=True)
    cancel(orders[4], reason=Reason.PRICING_ERROR, initiator="seller", counts=True)
    cancel(orders[4], reason=Reason.GENERAL_ADJUSTMENT, initiator="seller", counts=True)
    cancel(placed(seller, days_ago=9), reason=Reason.NO_INVENTORY, initiator="seller", counts=True)
    other = placed(SellerFactory())
    cancel(other, reason=Reason.NO_INVENTORY, initiator="seller", counts=True)

    metric = metrics.cancellation_rate(seller, NOW)

    assert (metric.numerator, metric.denominator) == (3, 8)
    assert metric.rate == Decimal("37.5")
    assert metric.status == metrics.Status.RED
    assert metric.counts == "3 of 8 orders cancelled by you"


def test_a_buyer_requested_cancellation_through_the_services_is_not_counted(place, buyer, seller):
    """Approving a request keeps the rate at 0; the seller's own cancellation moves it."""
    requested = age(place(), hours=2)
    cancellation_request = request_cancellation(
        order_id=requested.pk,
        quantities={requested.lines.get().pk: 2},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    approve_request(request_id=cancellation_request.pk, actor=Actor.seller(seller.user))
    own = place()
    for _ in range(2):
        place()

    assert metrics.cancellation_rate(seller, timezone.now()).numerator == 0
    cancel_as_seller(order_id=own.pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user))
    metric = metrics.cancellation_rate(seller, timezone.now())
    assert (metric.numerator, metric.denominator, metric.rate) == (1, 4, Decimal("25.0"))


@pytest.mark.parametrize(
    ("numerator", "denominator", "status"),
    [
        (0, 0, "none"),
        (0, 10, "green"),
        (2, 100, "green"),
        (5, 200, "amber"),
        (4, 100, "amber"),
        (5, 100, "red"),
    ],
)
def test_status_is_green_under_target_amber_to_twice_it_then_red(numerator, denominator, status):
    metric = metrics.Metric("m", 7, numerator, denominator, Decimal("2.5"), counts="")
    assert metric.status == status


def test_messages_status_is_green_from_90_percent_amber_10_points_under():
    def status(answered, of=100):
        metric = metrics.Metric("m", 30, answered, of, Decimal(90), "", higher_is_better=True)
        return metric.status

    assert (status(95), status(90), status(85), status(79)) == ("green", "green", "amber", "red")
    # The boundaries exactly: 90.0 % is green, 89.9 % amber; 80.0 % is amber, 79.9 % red.
    assert (status(899, 1000), status(80), status(799, 1000)) == ("amber", "amber", "red")


@pytest.mark.parametrize(
    ("numerator", "denominator", "rate"),
    [
        (1, 16, "6.3"),  # 6.25: half up, not to the even 6.2
        (1, 80, "1.3"),  # 1.25
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (1, 1, "100.0"),
    ],
)
def test_rates_are_rounded_half_up_to_one_decimal(numerator, denominator, rate):
    assert str(metrics.percent(numerator, denominator)) == rate


# --- Late shipment rate ---------------------------------------------------------------------------
def shipped(seller, *, ship_by_days_ago, shipped_days_ago):
    order = placed(seller, days_ago=ship_by_days_ago + 2)
    order.ship_by = NOW - timedelta(days=ship_by_days_ago)
    order.save(update_fields=["ship_by"])
    return Shipment.objects.create(
        order=order,
        carrier="UPS",
        tracking_number="1Z",
        shipped_at=NOW - timedelta(days=shipped_days_ago),
    )


def test_late_shipment_rate_over_10_and_30_days(seller):
    """
    10 days: 2 late of 3; 30 days: 3 late of 5 (an order shipped twice counts once, late
    or not).
    """
    once = shipped(seller, ship_by_days_ago=20, shipped_days_ago=5)  # late, in 10 ...
    Shipment.objects.create(  # ... and late again: one late order all the same
        order=once.order, carrier="UPS", tracking_number="3", shipped_at=NOW - timedelta(days=3)
    )
    shipped(seller, ship_by_days_ago=3, shipped_days_ago=4)  # on time, in 10
    two = shipped(seller, ship_by_days_ago=8, shipped_days_ago=9)  # on time, in 10 ...
    Shipment.objects.create(  # ... and the rest late: the order was late
        order=two.order, carrier="UPS", tracking_number="2", shipped_at=NOW - timedelta(days=6)
    )
    shipped(seller, ship_by_days_ago=25, shipped_days_ago=22)  # late, in 30
    shipped(seller, ship_by_days_ago=15, shipped_days_ago=16)  # on time, in 30
    shipped(seller, ship_by_days_ago=50, shipped_days_ago=40)  # outside
    shipped(SellerFactory(), ship_by_days_ago=9, shipped_days_ago=1)  # another seller

    ten, thirty = metrics.late_shipment_rates(seller, NOW)

    assert (ten.days, ten.numerator, ten.denominator, ten.rate) == (10, 2, 3, Decimal("66.7"))
    assert (thirty.days, thirty.numerator, thirty.denominator) == (30, 3, 5)
    assert thirty.rate == Decimal("60.0")


# --- Messages ------------------------------------------------------------------------------------
def test_messages_answered_within_24_hours(seller):
    """Answered in time 2, late 1, not yet due 1 (excluded), too old 1: 2 / 3."""
    order = placed(seller, days_ago=45)
    buyer = order.buyer

    def say(role, hours_ago):
        author = buyer if role == "buyer" else seller.user
        Message.objects.create(
            order=order,
            author=author,
            author_role=role,
            body="hi",
            created_at=NOW - timedelta(hours=hours_ago),
        )

    say("buyer", 72), say("seller", 70)  # answered in 2 h
    say("buyer", 48), say("seller", 18)  # answered after 30 h
    say("buyer", 5), say("seller", 4)  # answered in 1 h
    say("buyer", 2)  # not answered yet, still has time
    say("buyer", 40 * 24)  # outside the 30 days
    other = placed(SellerFactory(), days_ago=45)  # another seller's buyer, never answered
    Message.objects.create(
        order=other,
        author=other.buyer,
        author_role="buyer",
        body="hi",
        created_at=NOW - timedelta(hours=30),
    )

    metric = metrics.messages_answered(seller, NOW)

    assert (metric.numerator, metric.denominator, metric.rate) == (2, 3, Decimal("66.7"))


def test_a_buyers_follow_up_is_not_the_sellers_answer(seller):
    """
    A buyer writes, writes again an hour later, and the seller answers 28 hours after the
    first: neither buyer message was answered in time (the follow-up is no answer, nor is
    the seller's message on another order), but an answer exactly 24 hours after one is.
    """
    order = placed(seller, days_ago=5)

    def say(author, role, hours_ago):
        Message.objects.create(
            order=order,
            author=author,
            author_role=role,
            body="hi",
            created_at=NOW - timedelta(hours=hours_ago),
        )

    say(order.buyer, "buyer", 100), say(seller.user, "seller", 76)  # answered in 24 h exactly
    say(order.buyer, "buyer", 30), say(order.buyer, "buyer", 29)  # a follow-up
    say(seller.user, "seller", 2)  # the answer, 28 h after the first
    elsewhere = placed(seller, days_ago=5)  # the seller writes on another order meanwhile
    Message.objects.create(
        order=elsewhere,
        author=seller.user,
        author_role="seller",
        body="shipped",
        created_at=NOW - timedelta(hours=29, minutes=30),
    )

    metric = metrics.messages_answered(seller, NOW)

    assert (metric.numerator, metric.denominator) == (1, 3)


def test_messages_metric_says_what_waits_instead_of_no_data(seller):
    """
    A buyer message 10 hours old and unanswered is not late yet: it is no part of the
    rate, but the figures say it waits, and once its 24 hours are up it counts as late.
    """
    order = placed(seller, days_ago=2)
    Message.objects.create(
        order=order,
        author=order.buyer,
        author_role="buyer",
        body="Can you ship it gift-wrapped?",
        created_at=NOW - timedelta(hours=10),
    )

    waiting = metrics.messages_answered(seller, NOW)
    late = metrics.messages_answered(seller, NOW + timedelta(hours=15))

    assert (waiting.numerator, waiting.denominator, waiting.status) == (0, 0, "none")
    assert waiting.counts == ("No buyer message due yet; 1 waiting for your answer, not late yet")
    assert (late.numerator, late.denominator, late.status) == (0, 1, "red")
    assert late.counts == "0 of 1 buyer messages answered in time (1 still unanswered)"


def test_messages_metric_says_how_many_more_wait_beside_the_rate(seller):
    """Answered in time 1, unanswered and late 1, waiting (not late yet) 2: 1 / 2."""
    order = placed(seller, days_ago=3)
    for role, hours_ago in [("buyer", 50), ("seller", 49), ("buyer", 30), ("buyer", 3)]:
        author = order.buyer if role == "buyer" else seller.user
        Message.objects.create(
            order=order,
            author=author,
            author_role=role,
            body="?",
            created_at=NOW - timedelta(hours=hours_ago),
        )
    other = placed(seller, days_ago=1)
    Message.objects.create(
        order=other, author=other.buyer, author_role="buyer", body="?", created_at=NOW
    )

    metric = metrics.messages_answered(seller, NOW)

    assert (metric.numerator, metric.denominator) == (1, 2)
    assert metric.counts == (
        "1 of 2 buyer messages answered in time (1 still unanswered); "
        "2 more waiting for your answer, not late yet"
    )


def test_messages_metric_without_messages_says_so(seller):
    metric = metrics.messages_answered(seller, NOW)
    assert (metric.denominator, metric.status_label) == (0, "No data yet")
    assert metric.counts == "No buyer messages to answer"


def test_reasons_listings_and_trend(seller):
    """
    By reason with counted ones and actions; listings ranked; this week's bar. Another
    seller's cancellations this week are in none of them.
    """
    lamp = ListingFactory(seller=seller, title="Lamp")
    pen = ListingFactory(seller=seller, title="Pen")
    lamp_orders = [placed(seller, listing=lamp) for _ in range(3)]
    pen_order = placed(seller, listing=pen)
    for order in lamp_orders[:2]:
        cancel(order, reason=Reason.NO_INVENTORY, initiator="seller", counts=True, quantity=2)
    cancel(lamp_orders[2], reason=Reason.FOUND_CHEAPER, initiator="buyer", counts=False)
    cancel(pen_order, reason=Reason.BUYER_CANCELLED, initiator="seller", counts=False)
    old = placed(seller, days_ago=100, listing=pen)
    cancel(old, reason=Reason.NO_INVENTORY, initiator="seller", counts=True, days_ago=100)
    other_seller = SellerFactory()
    other_listing = ListingFactory(seller=other_seller, title="Another seller's lamp")
    for _ in range(2):
        other = placed(other_seller, listing=other_listing)
        cancel(other, reason=Reason.NO_INVENTORY, initiator="seller", counts=True)

    reasons = insights.cancellations_by_reason(seller, NOW - timedelta(weeks=12))
    listings = insights.listings_causing_cancellations(seller, NOW - timedelta(weeks=12))
    weeks = insights.weekly_cancellation_rate(seller, NOW)

    assert [r.reason for r in reasons] == ["no_inventory", "buyer_cancelled", "found_cheaper"]
    assert [(r.label, r.cancellations, r.counted, r.amount) for r in reasons] == [
        ("No inventory", 2, 2, Decimal("40.00")),
        ("Buyer cancelled", 1, 0, Decimal("10.00")),
        ("Found cheaper somewhere else", 1, 0, Decimal("10.00")),
    ]
    assert reasons[0].action.startswith("Restock")
    assert [(row.title, row.cancellations, row.units, row.main_reason) for row in listings] == [
        ("Lamp", 3, 5, "No inventory"),
        ("Pen", 1, 1, "Buyer cancelled"),
    ]
    assert len(weeks) == 12
    assert weeks[-1].start == insights.week_start(NOW)
    assert (weeks[-1].orders, weeks[-1].cancelled) == (4, 2)
    assert all(week.orders == 0 for week in weeks[:-2])


def test_a_cancellation_of_two_lines_of_one_listing_is_one_cancellation(seller):
    """Two lines of the same listing (1 and 2 units) cancelled at once: 1 cancellation, 3 units."""
    lamp = ListingFactory(seller=seller, title="Lamp")
    order = OrderFactory(seller=seller, lines=[(lamp, 1), (lamp, 2)])
    cancellation = Cancellation.objects.create(
        order=order,
        initiator="seller",
        reason=Reason.NO_INVENTORY,
        refund_amount=Decimal("30.00"),
        counts_against_seller=True,
    )
    for order_line in order.lines.all():
        CancellationLine.objects.create(
            cancellation=cancellation, order_line=order_line, quantity=order_line.quantity
        )

    pen = placed(seller, listing=ListingFactory(seller=seller, title="Pen"))
    cancel(pen, reason=Reason.NO_INVENTORY, initiator="seller", counts=True)

    rows_ = insights.listings_causing_cancellations(seller, NOW - timedelta(weeks=12))

    # As many cancellations each: the listing with more units cancelled ranks first.
    assert [(row.title, row.cancellations, row.units, row.main_reason) for row in rows_] == [
        ("Lamp", 1, 3, "No inventory"),
        ("Pen", 1, 1, "No inventory"),
    ]


def test_a_week_starts_on_monday_at_midnight_in_the_current_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    thursday_evening = datetime(2026, 6, 5, 2, 30, tzinfo=UTC)  # Thu Jun 4, 22:30 in New York

    start = insights.week_start(thursday_evening)

    assert timezone.localtime(start).isoformat() == "2026-06-01T00:00:00-04:00"


def test_trend_chart_draws_bars_against_the_target_line():
    weeks = [insights.Week(NOW, 0, 0), insights.Week(NOW, 10, 1), insights.Week(NOW, 100, 1)]
    chart = insights.trend_chart(weeks, width=300, height=100)
    assert chart.top == 10  # 10 % tallest bar, rounded up
    assert [bar.height for bar in chart.bars] == [0.0, 100.0, 10.0]
    assert [bar.status for bar in chart.bars] == ["none", "red", "green"]
    assert chart.target_y == 75.0


def test_trend_chart_geometry_to_a_tenth_of_a_pixel():
    """
    Rates 0, 33.3 and 1.0 % on a 700 × 90 chart: the scale tops at 34 % (rounded up),
    three 233.3-pixel slots hold bars 163.3 wide, 15 % into their slot.
    """
    weeks = [insights.Week(NOW, 0, 0), insights.Week(NOW, 3, 1), insights.Week(NOW, 100, 1)]

    chart = insights.trend_chart(weeks, width=700, height=90)

    assert (chart.width, chart.height, chart.top, chart.bar_width) == (700, 90, 34, 163.3)
    assert [(bar.x, bar.y, bar.height) for bar in chart.bars] == [
        (35.0, 90.0, 0.0),
        (268.3, 1.9, 88.1),
        (501.7, 87.4, 2.6),
    ]
    assert [bar.week for bar in chart.bars] == weeks
    assert chart.target_y == 83.4


def test_trend_chart_scale_is_twice_the_target_while_every_week_is_under_it():
    chart = insights.trend_chart([insights.Week(NOW, 100, 1)])

    assert (chart.width, chart.height, chart.top) == (600, 160, 5)
    assert chart.target_y == 80.0  # 2.5 % of a 5 % scale: halfway up


def test_account_health_reads_the_clock_and_starts_its_insights_12_weeks_back(seller):
    """Without a time, now; the insights begin on the Monday 11 weeks before this week's."""
    placed(seller)

    figures = health.account_health(seller)

    assert figures.insights_since == insights.week_start(timezone.now()) - timedelta(weeks=11)
    assert figures.trend.bars[-1].week.orders == 1
    assert figures.cancellation_rate.denominator == 1


def test_defect_metric_words_its_two_counts():
    metric = metrics.defect_metric(defects=1, orders=50)

    assert (metric.name, metric.days, metric.rate, metric.status) == (
        "Order defect rate",
        60,
        Decimal("2.0"),
        "red",
    )
    assert metric.counts == "1 of 50 orders with a case decided for the buyer"


# --- The page -------------------------------------------------------------------------------------
def history(seller, orders: int):
    """``orders`` orders with cancellations, shipments and messages of every kind."""
    listing = ListingFactory(seller=seller)
    buyer = UserFactory()
    reasons = [Reason.NO_INVENTORY, Reason.PRICING_ERROR, Reason.FOUND_CHEAPER]
    for i in range(orders):
        order = placed(seller, days_ago=i % 80, listing=listing, buyer=buyer)
        if i % 3 == 0:
            cancel(order, reason=reasons[i % 9 // 3], initiator="seller", counts=i % 2 == 0)
        if i % 3 == 1:
            Shipment.objects.create(order=order, carrier="UPS", tracking_number=f"{i}")
        Message.objects.create(order=order, author=buyer, author_role="buyer", body="?")


@pytest.mark.parametrize("orders", [10, 120])
def test_home_page_makes_the_same_queries_for_10_and_many_orders(
    client, seller, django_assert_num_queries, orders, page_cache_off
):
    """Session, user, seller, nav badges (one query), what the figures were computed
    from (one query, which names the orders' latest change: the key of the orders to
    ship), the orders to ship until that change has settled; then, when the version
    changed, one aggregate per metric and insight (10, the order defect rate from the
    Resolution Center and the return figures and insights included)."""
    history(seller, orders)
    client.force_login(seller.user)

    with django_assert_num_queries(16):
        cold = client.get(reverse("sellercentral:home"))
    with django_assert_num_queries(6):
        warm = client.get(reverse("sellercentral:home"))
    Order.objects.filter(seller=seller).update(updated_at=F("updated_at") - timedelta(minutes=5))
    client.get(reverse("sellercentral:home"))  # the figures and the counts of the new version
    with django_assert_num_queries(5):
        settled = client.get(reverse("sellercentral:home"))

    assert cold.status_code == warm.status_code == settled.status_code == 200
    # The cached figures are the ones computed (the new version's are as of a later second).
    assert main(warm) == main(cold)


@pytest.mark.parametrize("orders", [10, 120])
def test_home_page_from_the_page_cache_makes_the_same_queries_for_10_and_many_orders(
    client, seller, django_assert_num_queries, orders
):
    """
    Rendered: the queries above and the seller's version (orders.changelog), the page's
    key. Served again, before and after the orders' latest change has settled (which
    the counts' own cache waits for): session, user, seller and that version; not the
    figures, the orders to ship or the badges.
    """
    history(seller, orders)
    client.force_login(seller.user)

    with django_assert_num_queries(17):
        rendered = client.get(reverse("sellercentral:home"))
    with django_assert_num_queries(4):
        served = client.get(reverse("sellercentral:home"))
    Order.objects.filter(seller=seller).update(updated_at=F("updated_at") - timedelta(minutes=5))
    client.get(reverse("sellercentral:home"))  # the page of the new version
    with django_assert_num_queries(4):
        settled = client.get(reverse("sellercentral:home"))

    assert served.from_page_cache and settled.from_page_cache
    assert main(served) == main(rendered)


def test_home_page_shows_targets_counts_status_and_tables(client, seller):
    lamp = ListingFactory(seller=seller, title="Desk lamp")
    orders = [placed(seller, listing=lamp) for _ in range(25)]
    cancel(orders[0], reason=Reason.NO_INVENTORY, initiator="seller", counts=True)
    client.force_login(seller.user)

    html = client.get(reverse("sellercentral:home")).content.decode()

    assert html.count("<h1") == 1 and "<h1>Seller Central</h1>" in html
    assert "4.0 %" in html and "1 of 25 orders cancelled by you" in html
    assert "under 2.5 %" in html and "At risk" in html
    assert "Order defect rate" in html and "0 of 25 orders with a case decided" in html
    assert "<svg" in html and 'role="img"' in html and "target 2.5 %" in html
    assert html.count('data-testid="trend-row"') == 12
    assert 'data-testid="reason-row"' in html and "Restock" in html
    assert "Desk lamp" in html


def test_home_page_shows_the_late_shipment_messages_and_trend_figures(client, seller):
    """
    4 orders this week, 1 cancelled by the seller; 2 of them shipped, 1 after its ship-by;
    2 buyer messages due, 1 answered in time, the other never answered. Another seller's
    late shipment, unanswered message and cancellation are on no row.
    """
    orders = [placed(seller) for _ in range(4)]
    cancel(orders[0], reason=Reason.NO_INVENTORY, initiator="seller", counts=True)
    late = orders[2]
    late.ship_by = NOW - timedelta(hours=1)
    late.save(update_fields=["ship_by"])
    for order in orders[1:3]:
        Shipment.objects.create(order=order, carrier="UPS", tracking_number="1Z", shipped_at=NOW)
    for role, hours_ago in [("buyer", 30), ("seller", 29), ("buyer", 26)]:
        author = orders[3].buyer if role == "buyer" else seller.user
        Message.objects.create(
            order=orders[3],
            author=author,
            author_role=role,
            body="?",
            created_at=NOW - timedelta(hours=hours_ago),
        )
    other = shipped(SellerFactory(), ship_by_days_ago=3, shipped_days_ago=1)
    cancel(other.order, reason=Reason.NO_INVENTORY, initiator="seller", counts=True)
    Message.objects.create(
        order=other.order,
        author=other.order.buyer,
        author_role="buyer",
        body="?",
        created_at=NOW - timedelta(hours=30),
    )
    client.force_login(seller.user)

    html = client.get(reverse("sellercentral:home")).content.decode()

    metrics = rows(html, "metric")
    assert metrics[0][:3] == ["Cancellation rate", "Last 7 days", "25.0 %"]
    assert metrics[1:3] == [
        [name, period, "50.0 %", "under 4 %", "1 of 2 shipped orders late", "Poor"]
        for name, period in [
            ("Late shipment rate", "Last 10 days"),
            ("Late shipment rate", "Last 30 days"),
        ]
    ]
    assert metrics[4] == [
        "Buyer messages answered within 24 hours",
        "Last 30 days",
        "50.0 %",
        "at least 90 %",
        "1 of 2 buyer messages answered in time (1 still unanswered)",
        "Poor",
    ]
    trend = rows(html, "trend-row")
    assert trend[-1][1:] == ["4", "1", "25.0 %"]
    assert all(week[1:] == ["0", "0", "—"] for week in trend[:-1])


def rows(html: str, testid: str) -> list[list[str]]:
    """The cells' text of each table row marked ``data-testid=testid``."""
    found = []
    for row in html.split(f'data-testid="{testid}"')[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.split("</tr>", 1)[0], re.DOTALL)
        found.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return found


def main(response) -> str:
    """The page's <main>: what a cached fragment may change (not the nav's nonce)."""
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def test_restock_and_describe_actions_link_to_the_listings_edit_page(signed_in, seller):
    """
    In the home page's insights, a listing whose main reason asks for restocking or a
    better description links its action to that listing's edit page; a handling action
    (done elsewhere) is plain text.
    """
    lamp = ListingFactory(seller=seller, title="Lamp")
    mug = ListingFactory(seller=seller, title="Mug")
    pen = ListingFactory(seller=seller, title="Pen")
    cancel(
        placed(seller, listing=lamp), reason=Reason.NO_INVENTORY, initiator="seller", counts=True
    )
    cancel(
        placed(seller, listing=mug),
        reason=Reason.CREATED_BY_MISTAKE,
        initiator="buyer",
        counts=False,
    )
    cancel(
        placed(seller, listing=pen),
        reason=Reason.WOULD_NOT_ARRIVE_ON_TIME,
        initiator="buyer",
        counts=False,
    )

    body = signed_in.get(reverse("sellercentral:home")).content.decode()

    links = re.findall(r'<a href="([^"]+)" data-testid="fix-listing">([^<]+)</a>', body)
    assert sorted(links) == sorted(
        [
            (reverse("catalog:listing_edit", args=[lamp.pk]), insights.RESTOCK),
            (reverse("catalog:listing_edit", args=[mug.pk]), insights.DESCRIBE),
        ]
    )
    assert insights.HANDLING in body
