"""Beat job: settle money calls left pending, asking the gateway before any retry."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.jobs import due_ids, run_for_each
from core.tasks import BEAT_JOB_OPTIONS

from . import services
from .gateway import GatewayTimeout

logger = logging.getLogger(__name__)

# Pending transactions read per query; each is settled on its own (a gateway call
# outside any transaction), so a batch bounds only the ids held in memory.
RECONCILE_BATCH_SIZE = 200


@shared_task(**BEAT_JOB_OPTIONS)
def reconcile_pending_transactions_task() -> int:
    """
    Captures, voids and refunds still pending after PAYMENT_RECONCILE_AFTER_MINUTES
    (their call timed out and the outbox's retries stalled or gave up): each is looked
    up at the gateway by its idempotency key, recorded if it happened, executed with
    the same key if it did not. Returns how many it settled; no money moves twice.
    """
    older_than = timezone.now() - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    return run_for_each(
        due_ids(
            services.stale_transactions(older_than=older_than), batch_size=RECONCILE_BATCH_SIZE
        ),
        _settle,
        what="Payment reconcile",
    )


def _settle(transaction_id: int) -> bool:
    """Whether the transaction is settled now; a gateway that did not answer is asked again."""
    try:
        row = services.reconcile_transaction(transaction_id=transaction_id)
    except GatewayTimeout:
        logger.warning("Transaction %s: no answer from the gateway", transaction_id)
        return False
    return bool(row.status != row.Status.PENDING)
