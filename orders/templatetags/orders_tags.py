"""
What order pages ask of their templates beyond the money and date formats (those are
``core_tags``): an order's summary, the payment button's words, a timeline sentence.
"""

from django import template
from django.conf import settings

from .. import events, selectors

register = template.Library()


@register.filter
def summary(order) -> selectors.OrderSummary:
    """The order's summary (items, cancelled, returned, total now) for a card or row."""
    return selectors.order_summary(order)


# What checkout and "Revise payment" say about the card, in the capture mode in force
# (docs/DESIGN.md §7: authorize at checkout and capture at shipment, or capture at checkout).
PAYMENT_TERMS = {
    "shipment": ("Authorize", "Your card is authorized now and charged when each package ships."),
    "checkout": ("Pay", "Your card is charged now."),
}


@register.simple_tag
def payment_terms() -> str:
    return PAYMENT_TERMS[settings.PAYMENT_CAPTURE][1]


@register.simple_tag
def payment_verb() -> str:
    """The payment button's verb: "Authorize" $x, or "Pay" $x when checkout captures."""
    return PAYMENT_TERMS[settings.PAYMENT_CAPTURE][0]


@register.filter
def voice(event, reader: str) -> str:
    """The timeline event's sentence for its reader (buyer, seller or staff)."""
    return events.render(event, reader)
