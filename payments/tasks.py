"""Beat job: settle money calls left pending, asking the gateway before any retry."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

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
    stale = services.stale_transactions(older_than=older_than)
    settled, after = 0, 0
    while True:
        batch = list(
            stale.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:RECONCILE_BATCH_SIZE]
        )
        if not batch:
            return settled
        for transaction_id in batch:
            try:
                row = services.reconcile_transaction(transaction_id=transaction_id)
            except GatewayTimeout:
                logger.warning("Transaction %s: no answer from the gateway", transaction_id)
                continue
            except SoftTimeLimitExceeded:
                return settled
            except Exception:
                logger.exception("Could not reconcile transaction %s", transaction_id)
                continue
            settled += row.status != row.Status.PENDING
        after = batch[-1]
