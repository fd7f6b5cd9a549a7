"""The money and date formats (``core.formatting``) as template filters."""

from django import template

from core import formatting

register = template.Library()

register.filter("money", formatting.money)
register.filter("iso", formatting.iso)
register.filter("day", formatting.format_day)
register.filter("placed", formatting.format_placed)
register.filter("when", formatting.format_when)
register.filter("ago", formatting.format_ago)
