"""
What every writer of cancellations shares: its refusals, the replay check, the note check
and the locks on a request (docs/DESIGN.md §11: the order first, then its lines, then the
request hanging off it).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Model

from core.text import clean_text
from orders.actors import Actor
from orders.models import ActorRole, Order, OrderLine
from orders.services import lock_order

from ..models import NOTE_MAX_LENGTH, CancellationRequest


class CancellationError(Exception):
    """A rule said no; nothing changed. The message is for the person who asked."""


class AlreadyDone(CancellationError):
    """The same form was submitted again: the first submission already did it."""


def check_key(model: type[Model], idempotency_key: str | None) -> None:
    """Refuse a replay: the form's key was used by a row already written."""
    manager = model._default_manager
    if idempotency_key and manager.filter(idempotency_key=idempotency_key).exists():
        raise AlreadyDone("This was already done; nothing more has changed.")


def clean_note(note: str, *, what: str = "note") -> str:
    """A note, memo or answer without surrounding blanks, refused when it cannot be saved."""
    return clean_text(
        note, what=what, max_length=NOTE_MAX_LENGTH, error=CancellationError, required=False
    )


def lock_sellers_order(order_id: int, actor: Actor) -> tuple[Order, list[OrderLine]]:
    """``lock_order`` for a seller's act: refused unless the actor sells this order."""
    order, lines = lock_order(order_id)
    check_seller(order, actor)
    return order, lines


def check_seller(order: Order, actor: Actor) -> None:
    if actor.role != ActorRole.SELLER or not actor.plays_on(order):
        raise CancellationError("Only the order's seller can do this.")


@dataclass(frozen=True)
class LockedRequest:
    """A request and its order, locked in that order, with the order's lines."""

    order: Order
    lines: list[OrderLine]
    request: CancellationRequest

    @property
    def still_pending(self) -> bool:
        return bool(self.request.status == CancellationRequest.Status.PENDING)

    def check_pending(self) -> None:
        """Refuse a second answer: the request was answered (or withdrawn) meanwhile."""
        if not self.still_pending:
            raise AlreadyDone(
                f"This request was already answered: {self.request.get_status_display().lower()}."
            )


def lock_request(request_id: int, *, skip_locked: bool = False) -> LockedRequest:
    """
    Lock a request's order and lines, then the request with its lines; whether it is
    still pending is read on the locked row. With ``skip_locked`` (the beat jobs) an
    order someone else holds raises ``Order.DoesNotExist`` at once, like ``lock_order``.
    """
    order_id = CancellationRequest.objects.values_list("order_id", flat=True).get(pk=request_id)
    order, lines = lock_order(order_id, skip_locked=skip_locked)
    cancellation_request = (
        CancellationRequest.objects.select_for_update().prefetch_related("lines").get(pk=request_id)
    )
    cancellation_request.order = order  # the locked row, with its buyer and seller
    return LockedRequest(order, lines, cancellation_request)


def lock_pending_request(
    order: Order, *, exclude: CancellationRequest | None = None
) -> CancellationRequest | None:
    """The pending request of a locked order (at most one), locked, with its lines."""
    pending = CancellationRequest.objects.select_for_update().filter(
        order=order, status=CancellationRequest.Status.PENDING
    )
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    return pending.prefetch_related("lines").first()


def lock_pending_requests(
    order_ids: list[int], *, exclude: Sequence[CancellationRequest] = ()
) -> list[CancellationRequest]:
    """
    ``lock_pending_request`` of several locked orders (a batch of cancellations), in id
    order, with their lines: one query, and one more for the lines when there are any.
    """
    return list(
        CancellationRequest.objects.select_for_update()
        .filter(order_id__in=order_ids, status=CancellationRequest.Status.PENDING)
        .exclude(pk__in=[request.pk for request in exclude])
        .order_by("pk")
        .prefetch_related("lines")
    )
