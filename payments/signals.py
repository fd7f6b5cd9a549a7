"""
Signals the payments app sends, so apps above it react without payments importing them.

``payment_action_failed`` is sent with ``payment_transaction`` (a PaymentTransaction)
when the gateway refused a capture, void or refund, inside the transaction that
records the refusal: a receiver's rows (an order event) commit with it or not at all.
It is also sent when Stripe reports later that a capture or refund it had accepted
did not go through (``payments.webhooks``).

``payment_hold_released`` is sent with ``payment`` (a Payment), ``amount`` (the hold
the portal still counted on, a Decimal) and ``expired`` (whether the authorization ran
out, rather than being cancelled at Stripe) when the card's hold was released outside
the portal, inside the transaction that records it (``payments.webhooks``): what ships
later is charged to the saved card anew.
"""

from django.dispatch import Signal

payment_action_failed = Signal()
payment_hold_released = Signal()
