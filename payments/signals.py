"""
Signals the payments app sends, so apps above it react without payments importing them.

``payment_action_failed`` is sent with ``payment_transaction`` (a PaymentTransaction)
when the gateway refused a capture, void or refund, inside the transaction that
records the refusal: a receiver's rows (an order event) commit with it or not at all.
"""

from django.dispatch import Signal

payment_action_failed = Signal()
