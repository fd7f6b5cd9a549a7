"""The money and date formats (``core.formatting``) as template filters, and page links."""

from django import template
from django.template.defaulttags import querystring

from core import formatting

register = template.Library()

register.filter("money", formatting.money)
register.filter("iso", formatting.iso)
register.filter("day", formatting.format_day)
register.filter("placed", formatting.format_placed)
register.filter("when", formatting.format_when)
register.filter("ago", formatting.format_ago)


@register.simple_tag(takes_context=True)
def page_link(context: template.Context, param: str, number: int) -> str:
    """
    Django's ``{% querystring %}`` with the page parameter's name given as a value, so one
    pager serves a page with two lists (the Resolution Center's ``page`` and ``store_page``).
    """
    # django-stubs still types querystring's second argument as Django 5.1's query_dict.
    return querystring(context, **{param: number})  # type: ignore[arg-type]
