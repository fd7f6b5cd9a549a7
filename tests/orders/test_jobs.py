"""The delay notice (orders/jobs.py, orders/tasks.py): once per late order, at its boundary."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from orders import jobs, tasks
from orders.models import OrderEvent
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_the_notice_goes_out_just_after_ship_by_and_only_once(
    order, mailoutbox, django_capture_on_commit_callbacks, settings
):
    """
    Given an unshipped order, nothing at ship-by; a minute later one event and two emails,
    the buyer's linking to their order's page (where Cancel Items is).
    """
    settings.SITE_URL = "https://shop.example"
    assert jobs.send_delay_notice(order_id=order.pk, now=order.ship_by) is False
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.send_delay_notice(order_id=order.pk, now=order.ship_by + timedelta(minutes=1))
        assert not jobs.send_delay_notice(order_id=order.pk, now=order.ship_by + timedelta(days=1))

    order.refresh_from_db()
    assert order.late_notified_at is not None
    assert order.events.filter(type=OrderEvent.Type.LATE).count() == 1
    buyer_mail, seller_mail = sorted(mailoutbox, key=lambda m: m.to[0])
    assert buyer_mail.to == ["bea@example.com"] and "late" in buyer_mail.subject
    assert f"https://shop.example{order.get_absolute_url()}" in buyer_mail.body
    assert "/cancel/" not in buyer_mail.body  # the order's page has the button, not a deep link
    assert seller_mail.to == ["sam@example.com"]


def test_the_task_notices_late_orders_only(buyer, seller):
    late = OrderFactory(buyer=buyer, seller=seller)
    late.__class__.objects.filter(pk=late.pk).update(ship_by=late.ship_by - timedelta(days=3))
    OrderFactory(buyer=buyer, seller=seller)  # not late yet

    assert tasks.send_delay_notices_task() == 1
    assert tasks.send_delay_notices_task() == 0


def test_the_command_runs_it_once(capsys):
    call_command("send_delay_notices")
    assert "Delay notices sent: 0." in capsys.readouterr().out


def test_an_order_held_by_another_transaction_is_skipped(order, monkeypatch):
    monkeypatch.setattr(jobs, "lock_order_if_free", lambda order_id: None)
    assert jobs.send_delay_notice(order_id=order.pk, now=order.ship_by + timedelta(days=1)) is False


def test_no_notice_once_the_auto_cancel_is_due(
    order, mailoutbox, django_capture_on_commit_callbacks
):
    """
    Given an order never noticed (a beat outage) whose auto-cancel time has come, the notice
    job sends nothing: it would promise to cancel "by" a date already reached. A minute
    before that time the notice still goes out.
    """
    due = jobs.auto_cancel_at(order)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.send_delay_notice(order_id=order.pk, now=due) is False
        assert jobs.send_delay_notice(order_id=order.pk, now=due + timedelta(days=2)) is False
    assert not jobs.late_orders_to_notify(due).filter(pk=order.pk).exists()
    assert mailoutbox == []
    order.refresh_from_db()
    assert order.late_notified_at is None
    assert not order.events.filter(type=OrderEvent.Type.LATE).exists()

    assert jobs.late_orders_to_notify(due - timedelta(minutes=1)).filter(pk=order.pk).exists()
    assert jobs.send_delay_notice(order_id=order.pk, now=due - timedelta(minutes=1))
