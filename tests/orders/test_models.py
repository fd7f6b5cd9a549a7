"""The order state machine, the line quantities and the constraints that back them."""

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from orders.models import Order, OrderLine, OrderStatus, Shipment, ShipmentLine, new_order_number
from tests.factories import ListingFactory, OrderFactory

pytestmark = pytest.mark.django_db

S = OrderStatus
SHIPPABLE = [S.UNSHIPPED, S.PREPARING, S.PARTIALLY_SHIPPED]
CANCELLABLE = [S.PENDING_PAYMENT, S.PAYMENT_FAILED, *SHIPPABLE]

# The diagram of docs/DESIGN.md §2, written out here rather than read from the
# model, so a transition that drifts from the design fails a test.
TRANSITIONS = {
    "authorize": ([S.PENDING_PAYMENT], S.UNSHIPPED),
    "decline_payment": ([S.PENDING_PAYMENT], S.PAYMENT_FAILED),
    "revise_payment": ([S.PAYMENT_FAILED], S.UNSHIPPED),
    "start_preparing": ([S.UNSHIPPED], S.PREPARING),
    "ship_part": (SHIPPABLE, S.PARTIALLY_SHIPPED),
    "ship_rest": (SHIPPABLE, S.SHIPPED),
    "deliver": ([S.SHIPPED], S.DELIVERED),
    "cancel": (CANCELLABLE, S.CANCELLED),
}
ALLOWED = [
    (name, source, target) for name, (sources, target) in TRANSITIONS.items() for source in sources
]
REFUSED = [
    (name, state)
    for name, (sources, _target) in TRANSITIONS.items()
    for state in S.values
    if state not in sources
]


def stored_status(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


@pytest.mark.parametrize(("transition", "source", "target"), ALLOWED)
def test_allowed_transition_moves_the_order_to_its_target(transition, source, target):
    """Each transition of the design moves an order from each of its sources to its target."""
    order = OrderFactory(status=source)

    getattr(order, transition)()
    order.save()

    assert stored_status(order) == target


@pytest.mark.parametrize(("transition", "state"), REFUSED)
def test_transition_from_any_other_state_is_refused(transition, state):
    """A transition called from a state it does not start from raises and changes nothing."""
    order = OrderFactory(status=state)

    with pytest.raises(TransitionNotAllowed):
        getattr(order, transition)()

    assert order.status == state
    assert stored_status(order) == state


def test_the_model_has_exactly_the_designs_transitions():
    """No transition, source or target beyond the design's diagram (none missing either)."""
    declared = {
        (t.name, t.source, t.target)
        for t in Order._meta.get_field("status").get_all_transitions(Order)
    }

    assert declared == set(ALLOWED)


def test_every_state_is_reachable_and_only_closed_states_are_final():
    """Every state but the first is reachable; delivered and cancelled are the only final ones."""
    declared = list(Order._meta.get_field("status").get_all_transitions(Order))
    targets = {t.target for t in declared}
    sources = {t.source for t in declared}

    assert set(S.values) - targets == {S.PENDING_PAYMENT}
    assert set(S.values) - sources == {S.DELIVERED, S.CANCELLED}


def test_status_cannot_be_assigned_directly():
    """The status field is protected: only a transition may change it."""
    order = OrderFactory(status=S.UNSHIPPED)

    with pytest.raises(AttributeError):
        order.status = S.SHIPPED

    order.refresh_from_db()
    assert order.status == S.UNSHIPPED


def test_a_stale_copy_cannot_overwrite_a_transition_saved_meanwhile():
    """Two copies of one order: the second save of a transition from the old state is refused."""
    order = OrderFactory(status=S.UNSHIPPED)
    first = Order.objects.get(pk=order.pk)
    second = Order.objects.get(pk=order.pk)
    first.start_preparing()
    first.save()

    second.cancel()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()

    assert stored_status(order) == S.PREPARING


def test_line_quantity_open_is_what_neither_shipped_nor_was_cancelled():
    """quantity_open = quantity - cancelled - shipped; subtotal = unit price × quantity."""
    order = OrderFactory(lines=[(ListingFactory(price="2.50"), 5)])
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(quantity_cancelled=1, quantity_shipped=2)
    line.refresh_from_db()

    assert line.quantity_open == 2
    assert str(line.subtotal) == "12.50"


def test_cancelled_plus_shipped_above_quantity_is_refused_by_the_database():
    """The check constraint keeps quantity_cancelled + quantity_shipped <= quantity."""
    order = OrderFactory(lines=[(None, 3)])
    line = order.lines.get()
    line.quantity_cancelled = 2
    line.quantity_shipped = 2

    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()

    line.refresh_from_db()
    assert (line.quantity_cancelled, line.quantity_shipped) == (0, 0)


def test_cancelled_plus_shipped_equal_to_quantity_is_allowed():
    """The boundary: a fully shipped-or-cancelled line is valid."""
    order = OrderFactory(lines=[(None, 3)])
    line = order.lines.get()
    line.quantity_cancelled = 1
    line.quantity_shipped = 2

    line.save()

    line.refresh_from_db()
    assert line.quantity_open == 0


def test_a_line_of_zero_units_is_refused_by_the_database():
    """The check constraint keeps every line's quantity above 0."""
    order = OrderFactory()
    listing = ListingFactory(seller=order.seller)

    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.create(
            order=order, listing=listing, title=listing.title, unit_price=listing.price, quantity=0
        )

    assert order.lines.count() == 1


def test_a_shipment_line_of_zero_units_is_refused_by_the_database():
    """A shipment line ships at least one unit."""
    order = OrderFactory()
    shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number="1Z")

    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentLine.objects.create(shipment=shipment, line=order.lines.get(), quantity=0)

    assert not ShipmentLine.objects.exists()


def test_order_numbers_read_like_amazons_and_differ():
    """3-7-4 digits, random: two orders never share a number."""
    numbers = {new_order_number() for _ in range(50)}

    assert len(numbers) == 50
    assert all(re.fullmatch(r"\d{3}-\d{7}-\d{4}", number) for number in numbers)


def test_late_means_shippable_and_past_ship_by():
    """Only orders that can still ship and are past ship_by are late."""
    now = timezone.now()
    past = now - timedelta(hours=1)
    late = [OrderFactory(status=state, ship_by=past) for state in SHIPPABLE]
    OrderFactory(status=S.UNSHIPPED, ship_by=now + timedelta(hours=1))  # not yet due
    for state in (S.PENDING_PAYMENT, S.PAYMENT_FAILED, S.SHIPPED, S.DELIVERED, S.CANCELLED):
        OrderFactory(status=state, ship_by=past)  # past ship_by, but cannot ship (any more)

    assert set(Order.objects.late(now)) == set(late)
    assert all(order.is_late(now) for order in late)
    assert not OrderFactory(status=S.SHIPPED, ship_by=past).is_late(now)


def test_open_orders_are_those_with_some_quantity_still_cancellable():
    """open() holds every state before shipped, and nothing closed."""
    orders = {state: OrderFactory(status=state) for state in S.values}

    assert set(Order.objects.open()) == {orders[state] for state in CANCELLABLE}
