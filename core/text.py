"""
The one check every free text a person types goes through before a service saves it: a
note, a memo, a message, a case's description. Forms say the same in their own words;
this is what a service holds to whatever the caller sent.
"""


def clean_text(
    text: str | None,
    *,
    what: str,
    max_length: int,
    error: type[Exception],
    required: bool = True,
) -> str:
    """
    ``text`` without surrounding blanks; ``error`` with a sentence naming ``what`` when it
    holds a NUL character (PostgreSQL cannot store one), is empty while ``required``, or is
    longer than ``max_length``.
    """
    text = (text or "").strip()
    if "\x00" in text:
        raise error(f"The {what} contains a character that cannot be saved.")
    if required and not text:
        raise error(f"Write the {what} first.")
    if len(text) > max_length:
        raise error(f"The {what} must be at most {max_length} characters.")
    return text
