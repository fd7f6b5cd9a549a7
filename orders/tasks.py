from celery import shared_task
from django.utils import timezone

from core.jobs import due_ids, run_for_each
from core.tasks import BEAT_JOB_OPTIONS
from notifications import outbox

from . import jobs, services


@shared_task
def authorize_order_task(order_id: int) -> None:
    """
    Authorize an order's payment (same idempotency key as before).

    Retries of a timed-out authorization go through the outbox now
    (``services.AUTHORIZATION_RETRY``); this task stays so that messages queued before
    that change are still understood by the workers.
    """
    services.authorize_order(order_id=order_id)


@shared_task(**BEAT_JOB_OPTIONS)
def send_delay_notices_task() -> int:
    """
    Beat: tell buyer and seller, once per order, that it is past ship-by with units
    unshipped. Returns how many orders it noticed; running it twice sends nothing twice.
    """
    now = timezone.now()
    return run_for_each(
        due_ids(jobs.late_orders_to_notify(now), job="delay-notice"),
        lambda order_id: jobs.send_delay_notice(order_id=order_id, now=now),
        what="Delay notice",
        around=outbox.gathered,
    )
