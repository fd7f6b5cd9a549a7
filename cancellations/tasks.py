"""Beat jobs that cancel: shipping delay, payment timeout, request deadline (see jobs.py)."""

from celery import shared_task
from django.utils import timezone

from core.jobs import due_ids, run_for_each, run_in_batches
from core.tasks import BEAT_JOB_OPTIONS
from notifications import outbox

from . import jobs


@shared_task(**BEAT_JOB_OPTIONS)
def auto_cancel_late_orders_task() -> int:
    """Cancel what is unshipped past ship-by + AUTO_CANCEL_AFTER_DAYS; returns how many orders."""
    now = timezone.now()
    return run_in_batches(
        lambda after: jobs.auto_cancel_batch(now=now, after=after),
        what="Auto-cancel",
        around=outbox.gathered,
    )


@shared_task(**BEAT_JOB_OPTIONS)
def cancel_unpaid_orders_task() -> int:
    """Cancel orders whose payment did not complete within PAYMENT_REVISE_DAYS."""
    now = timezone.now()
    return run_for_each(
        due_ids(jobs.unpaid_orders(now), job="payment-timeout"),
        lambda order_id: jobs.cancel_unpaid_order(order_id=order_id, now=now),
        what="Payment timeout",
        around=outbox.gathered,
    )


@shared_task(**BEAT_JOB_OPTIONS)
def answer_overdue_requests_task() -> int:
    """Approve (or close) requests unanswered for CANCELLATION_REQUEST_RESPONSE_HOURS."""
    now = timezone.now()
    return run_for_each(
        due_ids(jobs.overdue_requests(now), job="request-deadline"),
        lambda request_id: jobs.answer_overdue_request(request_id=request_id, now=now),
        what="Request deadline",
        around=outbox.gathered,
    )
