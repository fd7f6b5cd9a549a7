"""
The transactional outbox.

Apps higher up register a handler per kind; this module never imports them.

    @outbox.handler("payments.transaction")
    def run_transaction(payload): ...

    outbox.enqueue("payments.transaction", {"transaction_id": 7})  # inside the business transaction

A business action that queues several messages (a cancellation: a payment release
and two emails) wraps them in ``with outbox.batch():``: one INSERT for all of them,
and one task published after commit instead of one per message.

A handler that needs the message's own id (to make its effect recognisable on a
redelivery) declares it as a keyword: ``def send_email(payload, *, message_id)``.

Delivery is AT LEAST ONCE, never exactly once. ``deliver`` claims a message in a
short transaction (locks the row, counts the attempt, leases it for ``LEASE``),
commits, runs the handler with no transaction open and no row locked (a slow SMTP
server or gateway holds no database lock), then records the outcome in a second
short transaction. A worker that dies after the handler's effect and before that
record leaves the message claimed; once the lease runs out, the sweep delivers it
again. So every handler MUST be idempotent: gateway calls carry an idempotency key
derived from the business operation (a repeated key replays the first answer), and
an email carries a Message-ID derived from the message id, so a redelivered email
is recognisably the same email.

Every failed attempt counts, whatever the handler raised: ``RetryLater`` (a
timeout, an outage) and a bug alike are retried with exponential back-off, and
the message is parked as failed after ``MAX_ATTEMPTS`` for staff to look at.
"""

import inspect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from .models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[..., None]
# kind -> (handler, whether it takes the message id as a keyword)
_handlers: dict[str, tuple[Handler, bool]] = {}

# Attempts before a message is parked as failed for staff to look at (admin).
MAX_ATTEMPTS = 8

# How long a claimed message belongs to the worker that claimed it; when it runs out,
# the worker is presumed dead and the message is delivered again. Keep every handler's
# own timeouts (gateway, SMTP) well below it, or a slow handler runs twice at once.
LEASE = timedelta(minutes=5)

# After the broker failed, dispatching leaves messages to the sweep for this long, so
# during an outage only one request per process waits for the broker's timeouts.
BROKER_PAUSE_SECONDS = 15.0
_broker_paused_until = 0.0
_sweep_only = False  # see left_to_the_sweep()
_batch: ContextVar[list[OutboxMessage] | None] = ContextVar("outbox_batch", default=None)
_gathered: ContextVar[list[int] | None] = ContextVar("outbox_gathered", default=None)

# Ids per task published by ``gathered()``: one task delivers its messages in turn, so
# a hundred keeps the last of them a few seconds behind the first.
GATHER_EVERY = 100


class RetryLater(Exception):
    """A handler raises this when the effect may succeed later (timeout, outage)."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        takes_id = "message_id" in inspect.signature(function).parameters
        _handlers[kind] = (function, takes_id)
        return function

    return register


def enqueue(kind: str, payload: dict) -> OutboxMessage:
    """
    Write the message in the caller's transaction; deliver it once that commits.
    Inside ``batch()`` the message is written (and gets its pk) when the block ends.
    """
    if kind not in _handlers:
        raise LookupError(f"No outbox handler registered for {kind!r}")
    message = OutboxMessage(kind=kind, payload=payload)
    batched = _batch.get()
    if batched is None:
        _write([message])
    else:
        batched.append(message)
    return message


@contextmanager
def batch() -> Iterator[None]:
    """
    Messages enqueued inside the block are written in one INSERT as it ends, and
    delivered by one task after commit. Nothing is written if the block raises; a
    block inside another joins the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    messages: list[OutboxMessage] = []
    token = _batch.set(messages)
    try:
        yield
    finally:
        _batch.reset(token)
    if messages:
        _write(messages)


@contextmanager
def gathered() -> Iterator[None]:
    """
    For a writer of many short transactions in a row (a beat job's run): what each
    commits is published with the others, one task per GATHER_EVERY messages and one
    for the rest as the block ends, instead of one per transaction (a broker round
    trip each, ~2.5 ms on Redis). A process that dies inside the block leaves what it
    committed and did not publish pending, and the sweep delivers it.
    """
    if _gathered.get() is not None:
        yield
        return
    message_ids: list[int] = []
    token = _gathered.set(message_ids)
    try:
        yield
    finally:
        _gathered.reset(token)
        if message_ids:
            _dispatch(message_ids)


def _committed(message_ids: list[int]) -> None:
    gathering = _gathered.get()
    if gathering is None:
        _dispatch(message_ids)
        return
    gathering += message_ids
    if len(gathering) >= GATHER_EVERY:
        _dispatch(gathering[:])
        gathering.clear()


def _write(messages: list[OutboxMessage]) -> None:
    OutboxMessage.objects.bulk_create(messages)
    if not _sweep_only:  # decided now: the commit may come after the block has ended
        message_ids = [message.pk for message in messages]
        transaction.on_commit(lambda: _committed(message_ids))


def _broker_errors() -> tuple[type[BaseException], ...]:
    """What the configured transport raises when the broker is down or does not answer."""
    from .tasks import deliver_outbox_messages_task

    connection = deliver_outbox_messages_task.app.connection_for_write()
    return (
        BrokerOperationalError,
        OSError,  # ConnectionError, socket timeouts
        *connection.connection_errors,
        *connection.channel_errors,
    )


@contextmanager
def left_to_the_sweep() -> Iterator[None]:
    """
    Messages written inside this block are not published one by one: the sweep
    delivers them, hundreds per task. For bulk writers (``seed_demo``), whose thousands
    of publishes would otherwise queue ahead of every other task on the broker.
    """
    global _sweep_only
    saved, _sweep_only = _sweep_only, True
    try:
        yield
    finally:
        _sweep_only = saved


def _dispatch(message_ids: list[int]) -> None:
    # Imported here: tasks import this module.
    from .tasks import deliver_outbox_messages_task

    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        logger.info("Outbox messages %s left to the sweep: the broker failed lately", message_ids)
        return
    try:
        deliver_outbox_messages_task.delay(message_ids)
    except _broker_errors() as error:  # evaluated only when something was raised
        # The rows stay pending and the sweep delivers them later. Anything else (a bug)
        # propagates.
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Outbox messages %s not dispatched (%r); the sweep will deliver them",
            message_ids,
            error,
        )


def deliver(message_id: int) -> bool:
    """
    Deliver one message, at least once: claim it, run its handler outside any
    transaction, record the outcome. Returns True when the message is delivered.

    A pending message is delivered now whatever its back-off (the sweep is what
    waits for ``available_at``); a claimed one only once its lease ran out; one
    that another worker holds or that is done is skipped (False).
    """
    claimed = _claim(message_id)
    if claimed is None:
        return False
    try:
        function, takes_id = _handlers[claimed.kind]
        # Called inside a caller's transaction (a test, an eager task), a savepoint keeps
        # a handler's database error from breaking it; on a worker there is none to open.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if takes_id:
                function(claimed.payload, message_id=claimed.pk)
            else:
                function(claimed.payload)
    except RetryLater as error:
        logger.warning(
            "Outbox message %s (%s) attempt %s will be retried: %s",
            claimed.pk,
            claimed.kind,
            claimed.attempts,
            error,
        )
        _record_failure(claimed, str(error) or error.__class__.__name__)
        return False
    except Exception as error:
        logger.exception(
            "Outbox message %s (%s) attempt %s failed", claimed.pk, claimed.kind, claimed.attempts
        )
        _record_failure(claimed, f"{error.__class__.__name__}: {error}")
        return False
    _record_delivery(claimed)
    return True


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for one attempt (a short transaction of its own)."""
    with transaction.atomic():
        now = timezone.now()
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=OutboxMessage.Status.PENDING)
                | Q(status=OutboxMessage.Status.DELIVERING, available_at__lte=now),
                pk=message_id,
            )
            .first()
        )
        if message is None:
            return None
        if message.status == OutboxMessage.Status.DELIVERING:
            logger.warning(
                "Outbox message %s (%s): lease of attempt %s ran out, delivering again",
                message.pk,
                message.kind,
                message.attempts,
            )
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                message.last_error = "The worker stopped during the last attempt."
                message.save(update_fields=["status", "last_error"])
                logger.error("Outbox message %s (%s) parked as failed", message.pk, message.kind)
                return None
        message.attempts += 1
        message.status = OutboxMessage.Status.DELIVERING
        message.available_at = now + LEASE
        message.save(update_fields=["attempts", "status", "available_at"])
        return message


def _still_ours(claimed: OutboxMessage) -> QuerySet[OutboxMessage]:
    # Another worker re-claimed it once our lease ran out: its outcome is the one to keep.
    return OutboxMessage.objects.filter(
        pk=claimed.pk, status=OutboxMessage.Status.DELIVERING, attempts=claimed.attempts
    )


def _record_delivery(claimed: OutboxMessage) -> None:
    _still_ours(claimed).update(
        status=OutboxMessage.Status.DELIVERED, delivered_at=timezone.now(), last_error=""
    )


def _record_failure(claimed: OutboxMessage, error: str) -> None:
    if claimed.attempts >= MAX_ATTEMPTS:
        logger.error(
            "Outbox message %s (%s) parked as failed after %s attempts",
            claimed.pk,
            claimed.kind,
            claimed.attempts,
        )
        _still_ours(claimed).update(status=OutboxMessage.Status.FAILED, last_error=error)
        return
    # Exponential back-off: 1, 2, 4, ... minutes.
    delay = timedelta(minutes=2 ** (claimed.attempts - 1))
    _still_ours(claimed).update(
        status=OutboxMessage.Status.PENDING,
        available_at=timezone.now() + delay,
        last_error=error,
    )


def pending_message_ids(*, limit: int) -> list[int]:
    """Messages due for delivery, oldest first (for the sweep): back-off or lease over."""
    return list(
        OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.DELIVERING],
            available_at__lte=timezone.now(),
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
