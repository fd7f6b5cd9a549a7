"""catalog.quality: the listing form's checklist, each check done or not."""

from catalog.quality import DESCRIPTION_AT_LEAST, quality_checklist


def done(**facts) -> list[bool]:
    return [check.done for check in quality_checklist(**facts)]


def test_a_complete_listing_passes_every_check():
    """A long description, a photo, a condition and a category: four checks done."""
    facts = {
        "description": "x" * DESCRIPTION_AT_LEAST,
        "photo_count": 1,
        "condition": "new",
        "has_category": True,
    }

    assert done(**facts) == [True, True, True, True]


def test_an_empty_listing_fails_every_check():
    """Nothing said: four checks to do."""
    facts = {"description": "", "photo_count": 0, "condition": "", "has_category": False}

    assert done(**facts) == [False, False, False, False]


def test_the_description_counts_its_characters_without_surrounding_space():
    """119 characters padded with spaces is still short; the label says how long it is."""
    checks = quality_checklist(
        description="  " + "x" * (DESCRIPTION_AT_LEAST - 1) + "\n\n",
        photo_count=8,
        condition="used_good",
        has_category=True,
    )

    assert [check.done for check in checks] == [False, True, True, True]
    assert checks[0].label == "A description of at least 120 characters (now 119)"
