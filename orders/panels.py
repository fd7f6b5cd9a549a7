"""
Panels that apps above ``orders`` add to the order pages, without ``orders``
importing them (imports point down). ``cancellations`` registers the "Cancel Items"
panel this way; the order page renders whatever is registered.

    @panels.buyer_panel
    def cancel_items_panel(request, order) -> str: ...  # HTML, or "" for nothing
"""

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[..., str]
_buyer_panels: list[Panel] = []
_seller_panels: list[Panel] = []


def buyer_panel(function: Panel) -> Panel:
    _buyer_panels.append(function)
    return function


def seller_panel(function: Panel) -> Panel:
    _seller_panels.append(function)
    return function


def render_buyer_panels(request, order) -> SafeString:
    return mark_safe("".join(panel(request, order) for panel in _buyer_panels))  # noqa: S308


def render_seller_panels(request, order) -> SafeString:
    return mark_safe("".join(panel(request, order) for panel in _seller_panels))  # noqa: S308
