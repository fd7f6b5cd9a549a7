from celery import shared_task

from . import services


@shared_task
def authorize_order_task(order_id: int) -> None:
    """Retry an authorization the gateway did not answer (same idempotency key)."""
    services.authorize_order(order_id=order_id)
