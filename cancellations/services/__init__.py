"""
The only writers of cancellations and cancellation requests, by concern: ``cancel``
(cancelling units, whoever asks), ``requests`` (a buyer's request, from asked to answered)
and ``seller`` (Seller Central's acts). The names other apps call are here too.
"""

from .cancel import cancel_items
from .common import CancellationError
from .requests import (
    approve_request,
    decline_request,
    request_cancellation,
    submit_buyer_cancellation,
    withdraw_request,
)
from .seller import cancel_as_seller

__all__ = [
    "CancellationError",
    "approve_request",
    "cancel_as_seller",
    "cancel_items",
    "decline_request",
    "request_cancellation",
    "submit_buyer_cancellation",
    "withdraw_request",
]
