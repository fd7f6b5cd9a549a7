"""The one error the payments app raises for a request it refuses."""


class PaymentError(Exception):
    """
    A payment rule said no; nothing changed.

    ``str(error)`` is safe to show to the person who asked. What staff need (amounts,
    balances, keys) goes to the log with ``detail``, never to a page.
    """

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidCard(PaymentError):
    """The card number cannot be a card (length, characters, check digit)."""
