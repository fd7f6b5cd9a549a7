"""The one free-text check the services share (core/text.py)."""

import pytest

from core.text import clean_text


class Refused(Exception):
    pass


def check(text, **kwargs):
    return clean_text(text, what="note", max_length=5, error=Refused, **kwargs)


def test_text_comes_back_without_surrounding_blanks():
    assert check("  hi \n") == "hi"


@pytest.mark.parametrize(
    ("text", "required", "words"),
    [
        ("a\x00b", True, "The note contains a character that cannot be saved."),
        ("   ", True, "Write the note first."),
        (None, True, "Write the note first."),
        ("123456", False, "The note must be at most 5 characters."),
    ],
)
def test_bad_text_is_refused_with_the_callers_error_and_words(text, required, words):
    with pytest.raises(Refused, match=words):
        check(text, required=required)


def test_empty_text_passes_when_not_required():
    assert check("  ", required=False) == ""
