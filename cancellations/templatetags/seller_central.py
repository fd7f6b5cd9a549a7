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
    form = BulkCancelForm()
    return fragments.render_one(
        template="cancellations/_bulk_cancel_fields.html",
        name="bulk-cancel-fields",
        # What the fields show comes from code: a deploy that changes it makes a new key.
        facts=(
            form.fields["reason"].choices,
            form["note"].help_text,
            form.fields["note"].max_length,
        ),
        context=lambda: {"form": form},
    )
