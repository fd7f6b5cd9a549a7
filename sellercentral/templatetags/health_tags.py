from django import template

register = template.Library()

# Bootstrap's colours, as SVG fill attributes (the CSP allows no inline styles).
FILLS = {"green": "#198754", "amber": "#ffc107", "red": "#dc3545", "none": "#adb5bd"}
BADGES = {
    "green": "text-bg-success",
    "amber": "text-bg-warning",
    "red": "text-bg-danger",
    "none": "text-bg-secondary",
}


@register.filter
def status_fill(status: str) -> str:
    return FILLS.get(status, FILLS["none"])


@register.filter
def status_badge(status: str) -> str:
    return BADGES.get(status, BADGES["none"])
