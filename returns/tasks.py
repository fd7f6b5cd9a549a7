"""Beat jobs of returns' deadlines (see jobs.py); each returns how many returns it moved on."""

from celery import shared_task
from django.utils import timezone

from core.jobs import due_ids, run_for_each
from core.tasks import BEAT_JOB_OPTIONS
from notifications import outbox

from . import jobs


@shared_task(**BEAT_JOB_OPTIONS)
def authorize_overdue_returns_task() -> int:
    """Authorize return requests unanswered for RETURN_RESPONSE_HOURS."""
    now = timezone.now()
    return run_for_each(
        due_ids(jobs.overdue_requests(now), job="returns-authorize"),
        lambda return_id: jobs.authorize_overdue_request(return_id=return_id, now=now),
        what="Return auto-authorize",
        around=outbox.gathered,
    )


@shared_task(**BEAT_JOB_OPTIONS)
def close_unshipped_returns_task() -> int:
    """Close authorized returns not shipped back within RETURN_SHIP_BACK_DAYS."""
    now = timezone.now()
    return run_for_each(
        due_ids(jobs.unshipped_returns(now), job="returns-close"),
        lambda return_id: jobs.close_unshipped_return(return_id=return_id, now=now),
        what="Return close",
        around=outbox.gathered,
    )


@shared_task(**BEAT_JOB_OPTIONS)
def refund_unreceived_returns_task() -> int:
    """Refund returns delivered back and not marked received within RETURN_RECEIVE_DAYS."""
    now = timezone.now()
    return run_for_each(
        due_ids(jobs.unreceived_returns(now), job="returns-refund"),
        lambda return_id: jobs.refund_unreceived_return(return_id=return_id, now=now),
        what="Return auto-refund",
        around=outbox.gathered,
    )
