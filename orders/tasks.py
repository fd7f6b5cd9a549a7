from celery import shared_task
from django.utils import timezone

from core.changelog import compact
from core.jobs import due_ids, run_for_each
from core.tasks import BEAT_JOB_OPTIONS
from notifications import outbox

from . import jobs
from .changelog import ORDER_LOG


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


@shared_task(**BEAT_JOB_OPTIONS)
def compact_change_log_task() -> int:
    """
    Beat: fold the change log's rows of each order, buyer and seller with many into one
    (orders.changelog), so reading a busy seller's version stays one short index scan.
    Every version stays as it was; returns how many rows went.
    """
    return compact(ORDER_LOG)
