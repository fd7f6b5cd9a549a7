"""
Django's date formats for English, set to the portal's own (``core.formatting.format_day``
and ``format_when``), so what Django formats itself — admin's dates above all — reads
"Nov 28, 2026, 7:05 PM EST" like every page and email: the zone named, no "p.m.".
"""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "M j, Y, g:i A T"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
