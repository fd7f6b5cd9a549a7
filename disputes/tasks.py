"""Resolution Center beat job: cases the seller left unanswered go to marketplace staff."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from core.tasks import BEAT_JOB_OPTIONS

from . import services
from .models import Dispute

logger = logging.getLogger(__name__)

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
    escalated, after = 0, 0
    while True:
        batch = list(
            Dispute.objects.filter(status=Dispute.Status.OPEN, respond_by__lt=now, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:ESCALATION_BATCH_SIZE]
        )
        if not batch:
            return escalated
        for dispute_id in batch:
            try:
                escalated += services.escalate_unresponsive(dispute_id=dispute_id, now=now)
            except SoftTimeLimitExceeded:
                # What was escalated is committed case by case; the next run goes on.
                logger.warning("Escalation: out of time after %s; the next run goes on", escalated)
                return escalated
            except Exception:
                # One case that cannot be escalated (a bug, a broken row) must not hold
                # up every case behind it; the next run tries it again.
                logger.exception("Could not escalate case %s", dispute_id)
        after = batch[-1]
