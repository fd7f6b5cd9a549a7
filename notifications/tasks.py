from celery import shared_task

from core.jobs import run_for_each
from core.tasks import BEAT_JOB_OPTIONS

from . import outbox

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
    # Each delivery is committed on its own; one message that cannot even be claimed or
    # recorded (a database error, a bug in the outbox) does not hold up the others, and
    # the next sweep takes what the soft time limit left.
    return run_for_each(
        outbox.pending_message_ids(limit=SWEEP_BATCH_SIZE),
        outbox.deliver,
        what="Outbox sweep",
    )
