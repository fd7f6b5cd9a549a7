"""
A listing's quality checklist (docs/DESIGN.md §17): what the cancellation insights find
behind "Fix the description" cancellations, asked of the listing before a buyer orders.
Pure: the listing form's page passes what it shows.
"""

from dataclasses import dataclass

# Enough for what it is, its size or variant and what is included.
DESCRIPTION_AT_LEAST = 120


@dataclass(frozen=True)
class Check:
    label: str
    done: bool


def quality_checklist(
    *, description: str, photo_count: int, condition: str, has_category: bool
) -> list[Check]:
    """The checks in the order the form shows them; each done or not."""
    length = len(description.strip())
    return [
        Check(
            f"A description of at least {DESCRIPTION_AT_LEAST} characters (now {length})",
            length >= DESCRIPTION_AT_LEAST,
        ),
        Check("At least one photo", photo_count > 0),
        Check("The condition stated", bool(condition)),
        Check("A category chosen", has_category),
    ]
