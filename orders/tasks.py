from celery import shared_task

from . import services


@shared_task
def authorize_order_task(order_id: int) -> None:
    """
    Authorize an order's payment (same idempotency key as before).

    Retries of a timed-out authorization go through the outbox now
    (``services.AUTHORIZATION_RETRY``); this task stays so that messages queued before
    that change are still understood by the workers.
    """
    services.authorize_order(order_id=order_id)
