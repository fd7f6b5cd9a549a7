"""
The emails of each step of a return, to each party in their own voice (queued in the
outbox in the caller's transaction, sent after commit).
"""

from .models import ReturnRequest


def return_requested(return_request: ReturnRequest) -> None:
    """The seller: a return to answer by ``respond_by``."""


def return_authorized(return_request: ReturnRequest) -> None:
    """The buyer: the return address, the return number, ship back by ``ship_back_by``."""


def return_closed(return_request: ReturnRequest) -> None:
    """The buyer: why, and that a case may be opened (the seller closed it)."""


def return_shipped_back(return_request: ReturnRequest) -> None:
    """The seller: the parcel is on its way, with the carrier and tracking number."""


def return_refunded(return_request: ReturnRequest) -> None:
    """The buyer: the amount and any fee; the seller too when the system refunded it."""
