import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.tasks import BEAT_JOB_OPTIONS

from . import outbox

logger = logging.getLogger(__name__)

# A sweep delivers at most this many messages per run, so one run stays well inside
# the beat interval even when a broker outage left a backlog.
SWEEP_BATCH_SIZE = 500


@shared_task(acks_late=True)
def deliver_outbox_messages_task(message_ids: list[int]) -> int:
    """The messages one transaction wrote, in order; each is claimed on its own."""
    return sum(outbox.deliver(message_id) for message_id in message_ids)


@shared_task(acks_late=True)
def deliver_outbox_message_task(message_id: int) -> bool:
    # Published one per message by earlier releases: kept while their tasks drain.
    return outbox.deliver(message_id)


@shared_task(**BEAT_JOB_OPTIONS)
def deliver_pending_outbox_task() -> int:
    """Deliver what was not dispatched (broker down), is due for a retry, or was orphaned."""
    delivered = 0
    for message_id in outbox.pending_message_ids(limit=SWEEP_BATCH_SIZE):
        # One message that cannot even be claimed or recorded (a database error, a bug
        # in the outbox) must not hold up every message behind it.
        try:
            delivered += outbox.deliver(message_id)
        except SoftTimeLimitExceeded:
            # Each delivery is committed on its own; the next sweep takes the rest.
            logger.warning("Outbox sweep: out of time after %s; the next run goes on", delivered)
            return delivered
        except Exception:
            logger.exception("Outbox sweep could not deliver message %s", message_id)
    return delivered
