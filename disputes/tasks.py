"""Resolution Center beat job: cases the seller left unanswered go to marketplace staff."""

from celery import shared_task
from django.utils import timezone

from core.jobs import due_ids, run_for_each
from core.tasks import BEAT_JOB_OPTIONS

from . import services
from .models import Dispute

# Cases read per query: each is escalated in its own short transaction, so a batch
# only bounds the ids held in memory; a backlog after downtime is worked through in
# batches of this size within one run.
ESCALATION_BATCH_SIZE = 200


@shared_task(**BEAT_JOB_OPTIONS)
def escalate_unresponsive_disputes_task() -> int:
    """
    Escalate every open case past its seller's deadline; returns how many it escalated.

    Idempotent, and safe to run twice at once: each case is re-checked under its
    order's lock, and an order another transaction holds is skipped (``skip_locked``)
    for the next run, so no case is escalated twice and no run waits on another.
    """
    now = timezone.now()
    return run_for_each(
        due_ids(
            Dispute.objects.filter(status=Dispute.Status.OPEN, respond_by__lt=now),
            batch_size=ESCALATION_BATCH_SIZE,
        ),
        lambda dispute_id: services.escalate_unresponsive(dispute_id=dispute_id, now=now),
        what="Escalation",
    )
