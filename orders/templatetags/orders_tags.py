from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """12 → "$12.00"; the portal's one currency is USD (DESIGN §2, Payment.currency)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""  # template filters fail quietly, as Django's own do
    if not amount.is_finite():
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
