"""
returns.admin: staff find returns by status, reason and missed deadline, read each one
with its lines, money and the order's timeline, and can change nothing (the money least).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from orders.actors import Actor
from orders.services import mark_delivered
from returns import services
from returns.models import ReturnReason, ReturnRequest
from tests.factories import SellerFactory, UserFactory, shipped_order

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:returns_returnrequest_changelist")


@pytest.fixture
def staff(client):
    user = UserFactory(username="stella", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="returns"),
        *Permission.objects.filter(content_type__app_label="orders", codename="view_order"),
    )
    client.force_login(user)
    return user


@pytest.fixture
def asked(django_capture_on_commit_callbacks):
    """``asked(reason)``: a return of one unit of a delivered order, waiting for the seller."""
    buyer = UserFactory(username="bea")
    seller = SellerFactory(return_line1="1 Return Road", return_city="Springfield")

    def ask(reason=ReturnReason.DEFECTIVE):
        with django_capture_on_commit_callbacks(execute=True):
            order = shipped_order(buyer=buyer, seller=seller, title="Desk lamp")
            mark_delivered(order_id=order.pk, actor=Actor.system())
        return services.request_return(
            order_id=order.pk,
            quantities={order.lines.get().pk: 1},
            reason=reason,
            note="Broken.",
            opened=False,
            actor=Actor.buyer(buyer),
        )

    return ask


def listed(client, **params):
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_the_overdue_filter_finds_each_missed_deadline_and_nothing_on_time(asked, client, staff):
    on_time, late_answer, authorized = asked(), asked(), asked()
    ReturnRequest.objects.filter(pk=late_answer.pk).update(
        respond_by=timezone.now() - timedelta(minutes=1)
    )
    services.authorize_return(return_id=authorized.pk, actor=Actor.system())
    ReturnRequest.objects.filter(pk=authorized.pk).update(
        ship_back_by=timezone.now() - timedelta(minutes=1)
    )

    assert listed(client, overdue="respond") == {late_answer.pk}
    assert listed(client, overdue="ship_back") == {authorized.pk}
    assert listed(client, overdue="receive") == set()
    assert listed(client, overdue="any") == {late_answer.pk, authorized.pk}
    assert listed(client) == {on_time.pk, late_answer.pk, authorized.pk}


def test_the_status_and_reason_filters(asked, client, staff):
    defective, remorse = asked(), asked(ReturnReason.NO_LONGER_NEEDED)
    services.authorize_return(return_id=remorse.pk, actor=Actor.system())

    assert listed(client, status="authorized") == {remorse.pk}
    assert listed(client, reason="defective") == {defective.pk}


def test_a_return_is_read_with_its_lines_money_and_the_orders_timeline(asked, client, staff):
    rma = asked()

    response = client.get(reverse("admin:returns_returnrequest_change", args=[rma.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert rma.number in page and "12.50" in page
    assert "Desk lamp" in page  # the line, inline
    order_url = reverse("admin:orders_order_change", args=[rma.order_id])
    assert f'href="{order_url}#events-group"' in page
    timeline = page[page.index('data-testid="order-timeline"') :]
    assert "The buyer asked to return 1 item(s)" in timeline
    assert 'name="_save"' not in page  # nothing to save
    assert 'name="refund_amount"' not in page and 'name="status"' not in page


def test_staff_can_neither_change_add_nor_delete_a_return(asked, client, staff):
    rma = asked()
    change = reverse("admin:returns_returnrequest_change", args=[rma.pk])

    client.post(change, {"refund_amount": "999.00", "status": "refunded"})

    assert client.get(reverse("admin:returns_returnrequest_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:returns_returnrequest_delete", args=[rma.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount) == ("requested", 0)
