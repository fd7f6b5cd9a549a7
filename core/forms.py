"""
Form fields the apps share: numbers that take the digits 0 to 9 and nothing else, and
a file field that takes several files at once.

Django's IntegerField and DecimalField accept what Python's ``int`` and ``Decimal``
accept: digits of any script (``١٢`` is 12) and underscores (``1_0`` is 10). A
quantity or an amount typed that way is almost surely a slip, and a page that echoes
it back, a log or an email would show a different figure than the one stored. These
fields check the raw text first and say plainly what is allowed.
"""

import re

from django import forms
from django.core.exceptions import ValidationError

ASCII_INTEGER = re.compile(r"-?[0-9]+")
ASCII_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _check_ascii(field: forms.Field, value, pattern: re.Pattern) -> None:
    if isinstance(value, str):
        text = value.strip()
        if text and not pattern.fullmatch(text):
            raise ValidationError(field.error_messages["invalid"], code="invalid")


class AsciiIntegerField(forms.IntegerField):
    default_error_messages = {
        "invalid": "Enter a whole number, using the digits 0 to 9.",
        # Django's "Ensure this value is less than or equal to 2", in plain words; a
        # field that knows what it counts says so itself (error_messages).
        "max_value": "Enter %(limit_value)s or less.",
        "min_value": "Enter %(limit_value)s or more.",
    }

    def to_python(self, value):
        _check_ascii(self, value, ASCII_INTEGER)
        return super().to_python(value)


class AsciiDecimalField(forms.DecimalField):
    default_error_messages = {
        "invalid": "Enter an amount using the digits 0 to 9 and a decimal point, such as 12.50.",
        "max_value": "Enter %(limit_value)s or less.",
        "min_value": "Enter %(limit_value)s or more.",
    }

    def to_python(self, value):
        _check_ascii(self, value, ASCII_DECIMAL)
        return super().to_python(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """
    Several files from one ``<input type="file" multiple>``, cleaned one by one into a
    list (an empty list when none was chosen and the field is optional): Django's
    documented pattern for uploading multiple files with one form field.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [cleaned for file in files if (cleaned := single_file_clean(file, initial))]
