"""The Shop's search: what a buyer may ask for, checked like any form (docs/DESIGN.md §18)."""

from typing import Any, cast

from django import forms

from catalog.models import Category
from catalog.selectors import MAX_QUERY_LENGTH


class ShopSearchForm(forms.Form):
    """
    ``q`` and ``category`` from the search box, ``sort`` from the sort menu. An unknown
    sort is the default order (``catalog.selectors.ShopSort.clean``), not an error; a
    search too long or a category that does not exist is, and the page says so.
    """

    q = forms.CharField(
        label="Search the shop",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": f"Search for at most {MAX_QUERY_LENGTH} characters."},
    )
    category = forms.ChoiceField(
        label="Category",
        required=False,
        error_messages={
            "invalid_choice": "That category does not exist (any more): choose another."
        },
    )
    sort = forms.CharField(required=False)

    def __init__(self, data: Any, *, categories: list[Category]) -> None:
        super().__init__(data)
        self.categories = {category.slug: category for category in categories}
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", "All categories"),
            *((category.slug, category.name) for category in categories),
        ]

    def clean_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data["category"])
