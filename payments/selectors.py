"""
Where a payment's money stands, read in one place: what the card still holds, what the
pending captures, voids and refunds claim, what was charged and returned. The order
page's summary, a case's money and the payment writers all read it from here, so "on
hold" means the same thing on every page.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from .models import ZERO, Payment, PaymentTransaction

Kind = PaymentTransaction.Kind
# The kinds a pending transaction claims money by, until the gateway answers.
CLAIMS = (Kind.CAPTURE, Kind.VOID, Kind.REFUND)


@dataclass(frozen=True)
class MoneyPosition:
    """One payment's totals and what its pending transactions claim of them."""

    held: Decimal  # authorized, neither captured nor voided yet
    captured: Decimal
    released: Decimal  # holds voided by the gateway
    refunded: Decimal
    capturing: Decimal  # pending captures
    releasing: Decimal  # pending voids
    refunding: Decimal  # pending refunds

    @property
    def on_hold(self) -> Decimal:
        """Held on the card and not being released: not charged yet (a capture may be due)."""
        return self.held - self.releasing

    @property
    def unclaimed_hold(self) -> Decimal:
        """Held and claimed by no pending capture or void: what a capture or a void may take."""
        return max(self.held - self.capturing - self.releasing, ZERO)

    @property
    def refundable(self) -> Decimal:
        """Charged, not refunded and not claimed by a pending refund."""
        return max(self.captured - self.refunded - self.refunding, ZERO)


def money_position(payment: Payment, claims: dict[str, Decimal] | None = None) -> MoneyPosition:
    """
    Where ``payment``'s money stands. ``claims`` are its pending transactions' claims per
    kind when the caller has them (``pending_claims`` under the payment's lock, or
    ``prefetched_claims`` on a page); without them they are read in one query.
    """
    if claims is None:
        claims, _replayed = pending_claims(payment)
    return MoneyPosition(
        held=payment.amount_open,
        captured=payment.amount_captured,
        released=payment.amount_voided,
        refunded=payment.amount_refunded,
        capturing=claims[Kind.CAPTURE],
        releasing=claims[Kind.VOID],
        refunding=claims[Kind.REFUND],
    )


def hold_left(payment: Payment, claims: dict[str, Decimal]) -> Decimal:
    """
    What is still only authorized and not claimed by a pending capture or void (``claims``
    from ``pending_claims``): what a capture may still take, or a void release.
    """
    return money_position(payment, claims).unclaimed_hold


def pending_claims(
    payment: Payment, *, replay_keys: Iterable[str] = ()
) -> tuple[dict[str, Decimal], bool]:
    """
    What the payment's pending captures, voids and refunds claim, per kind, and whether
    one of ``replay_keys`` was used already: one query over a handful of rows, summed
    here (cheaper than building an aggregate query). Read it under the payment's lock
    to act on it (``payments.services``); pages read it as it is.
    """
    claims, used = pending_claims_of([payment.pk], replay_keys=replay_keys)
    return claims[payment.pk], bool(used)


def pending_claims_of(
    payment_ids: Iterable[int], *, replay_keys: Iterable[str] = ()
) -> tuple[dict[int, dict[str, Decimal]], set[str]]:
    """
    ``pending_claims`` of several payments at once (a batch of releases): the claims by
    payment id, and which of ``replay_keys`` were used already, in one query.
    """
    keys = set(replay_keys)
    ids = list(payment_ids)
    claims: dict[int, dict[str, Decimal]] = {pk: dict.fromkeys(CLAIMS, ZERO) for pk in ids}
    used: set[str] = set()
    rows = PaymentTransaction.objects.filter(
        Q(payment_id__in=ids, status=PaymentTransaction.Status.PENDING)
        | Q(idempotency_key__in=keys)
    ).values_list("payment_id", "kind", "status", "amount", "idempotency_key")
    for owner, kind, status, amount, key in rows:
        if owner in claims and status == PaymentTransaction.Status.PENDING and kind in CLAIMS:
            claims[owner][kind] += amount
        if key in keys:
            used.add(key)
    return claims, used


def prefetched_claims(payment: Payment) -> dict[str, Decimal]:
    """
    The pending claims from the payment's prefetched ``transactions`` (the order pages
    prefetch them), and none where they were not fetched (the lists, which show no
    pending money): never a query.
    """
    claims: dict[str, Decimal] = dict.fromkeys(CLAIMS, ZERO)
    if "transactions" not in getattr(payment, "_prefetched_objects_cache", {}):
        return claims
    for row in payment.transactions.all():
        if row.status == PaymentTransaction.Status.PENDING and row.kind in claims:
            claims[row.kind] += row.amount
    return claims
