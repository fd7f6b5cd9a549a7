"""
A real Celery worker against the machine's Redis (db 10, nobody else's) runs the
beat-scheduled jobs end to end: the message goes through the broker exactly as beat
sends it (its ``expires`` option included) and the worker's effect lands in the
database, its emails through the outbox.
"""

import os
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from kombu import pools

from cancellations.models import Cancellation, Reason
from marketplace.celery import app
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WORKER_DB = 10


def fresh_connections():
    """
    Drop pooled broker connections so the next publish uses the current broker_url.
    kombu keeps its pools in a global registry keyed by connection: closing one and
    leaving it registered would hand later tests a closed pool, so reset the registry.
    """
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker():
    parsed = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    broker = f"redis://{parsed.hostname}:{parsed.port or 6379}/{WORKER_DB}"
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=broker, result_backend=None, task_always_eager=False)
    fresh_connections()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        fresh_connections()


def wait_for(condition, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def send_as_beat(entry: str):
    schedule = settings.CELERY_BEAT_SCHEDULE[entry]
    app.send_task(schedule["task"], **schedule.get("options", {}))


def test_the_worker_runs_the_scheduled_jobs_on_a_late_order(worker):
    buyer = UserFactory(username="bea")
    seller = SellerFactory(user=UserFactory(username="sam"))
    listing = ListingFactory(seller=seller, stock=5)
    app.conf.task_always_eager = True  # checkout's own outbox delivery, in-process
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
    )
    app.conf.task_always_eager = False
    # Late but not yet due for auto-cancel: the delay notice goes out.
    Order.objects.filter(pk=order.pk).update(ship_by=order.ship_by - timedelta(days=3))
    mail.outbox.clear()

    send_as_beat("send-delay-notices")
    assert wait_for(lambda: OrderEvent.objects.filter(order=order, type="late").exists())
    # A week later it has still not shipped: the auto-cancel takes it.
    Order.objects.filter(pk=order.pk).update(ship_by=order.ship_by - timedelta(days=10))
    send_as_beat("auto-cancel-late-orders")
    assert wait_for(lambda: Cancellation.objects.filter(order=order).exists())
    send_as_beat("auto-cancel-late-orders")  # a second run changes nothing

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Cancellation.objects.get(order=order).reason == Reason.SHIPPING_DELAY
    # The emails were dispatched through Redis to the same worker: 2 notices + 2 cancelled.
    assert wait_for(lambda: len(mail.outbox) >= 4)
    time.sleep(0.5)
    assert len(mail.outbox) == 4
