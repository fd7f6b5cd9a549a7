"""
The transactional outbox.

Apps higher up register a handler per kind; this module never imports them.

    @outbox.handler("payments.transaction")
    def run_transaction(payload): ...

    outbox.enqueue("payments.transaction", {"transaction_id": 7})  # inside the business transaction
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
_handlers: dict[str, Handler] = {}

# Attempts before a message is parked as failed for staff to look at (admin).
MAX_ATTEMPTS = 8


class RetryLater(Exception):
    """A handler raises this when the effect may succeed later (timeout, outage)."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


def enqueue(kind: str, payload: dict) -> OutboxMessage:
    """Write the message in the caller's transaction; deliver it once that commits."""
    if kind not in _handlers:
        raise LookupError(f"No outbox handler registered for {kind!r}")
    message = OutboxMessage.objects.create(kind=kind, payload=payload)
    transaction.on_commit(lambda: _dispatch(message.pk))
    return message


def _dispatch(message_id: int) -> None:
    # Imported here: tasks import this module.
    from .tasks import deliver_outbox_message_task

    try:
        deliver_outbox_message_task.delay(message_id)
    except Exception:
        # The broker is down: the row stays pending and the sweep delivers it later.
        logger.warning("Outbox message %s not dispatched; the sweep will retry", message_id)


def deliver(message_id: int) -> bool:
    """
    Deliver one message, at most once: lock the row, skip it if another worker
    holds it or it is already done, run the handler, record the outcome.
    Returns True when the message is delivered.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            with transaction.atomic():
                _handlers[message.kind](message.payload)
        except RetryLater as error:
            message.last_error = str(error) or error.__class__.__name__
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            else:
                # Exponential back-off: 1, 2, 4, ... minutes.
                delay = timedelta(minutes=2 ** (message.attempts - 1))
                message.available_at = timezone.now() + delay
            message.save(update_fields=["attempts", "last_error", "status", "available_at"])
            return False
        message.status = OutboxMessage.Status.DELIVERED
        message.delivered_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "status", "delivered_at", "last_error"])
        return True


def pending_message_ids(*, limit: int) -> list[int]:
    """Messages due for delivery, oldest first (for the sweep)."""
    return list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, available_at__lte=timezone.now()
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
