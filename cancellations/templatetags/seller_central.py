"""
What Seller Central's order list (an ``orders`` page) shows of cancellations beyond
its rows' marks (``cancellations.panels``): the bulk cancel controls. A template tag
keeps the imports pointing down: ``orders`` never imports ``cancellations``.
"""

from django import template
from django.utils.safestring import SafeString

from orders import fragments

from ..forms import BulkCancelForm

register = template.Library()


@register.simple_tag
def bulk_cancel_fields() -> SafeString:
    """The bulk cancel's reason and memo fields: the same for every seller, so cached."""
    return fragments.render_one(
        template="cancellations/_bulk_cancel_fields.html",
        name="bulk-cancel-fields",
        facts=(),  # the fields come from code alone: the key's code version is theirs
        context=lambda: {"form": BulkCancelForm()},
    )
