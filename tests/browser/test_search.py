"""
The Shop's search in a real browser: a buyer searches, narrows to a category, sorts by
price and opens a listing whose photo shows, on a laptop's screen and a phone's.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Category
from tests.factories import ListingFactory, ListingPhotoFactory, image_file

SCREENS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def shelves(settings):
    """Two pens with photos, a notebook whose description mentions a pen, and a teapot."""
    settings.SERVE_MEDIA = True  # the live server serves the photos from the test's folder
    pens = Category.objects.create(name="Pens", slug="pens")
    paper = Category.objects.create(name="Paper", slug="paper")
    fountain = ListingFactory(title="Fountain pen", price=Decimal("30.00"), category=pens)
    gel = ListingFactory(title="Gel pen", price=Decimal("3.00"), category=pens)
    for listing, colour in ((fountain, "navy"), (gel, "teal")):
        ListingPhotoFactory(listing=listing, image=image_file(size=(600, 400), colour=colour))
    ListingFactory(title="Dot grid notebook", description="With a pen loop.", category=paper)
    ListingFactory(title="Teapot", description="Holds a litre.")
    return pens


def card_titles(page: Page) -> list[str]:
    return page.locator("article h2").all_inner_texts()


def loaded(image) -> bool:
    """The browser fetched the image and drew it (a broken one has no natural width)."""
    return image.evaluate("(img) => img.complete && img.naturalWidth > 0")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_buyer_searches_narrows_sorts_and_opens_a_listing(
    live_server, new_context, shelves, screen
):
    """
    Given listings in two categories, when a buyer searches "pen", then the pens and the
    notebook that mentions one are found (not the teapot); when they choose Pens, only
    the pens; sorted by price, the cheaper first; and the listing they open shows its
    photo, all without the page growing wider than the screen.
    """
    context = new_context(viewport=SCREENS[screen])
    page = context.new_page()
    page.goto("/listings/")

    # When they search "pen"
    page.get_by_role("searchbox", name="Search the shop").fill("pen")
    page.get_by_role("button", name="Search").click()

    # Then the listings that mention a pen are found, the teapot is not
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “pen”")
    assert sorted(card_titles(page)) == ["Dot grid notebook", "Fountain pen", "Gel pen"]
    expect(page.get_by_label("Sort by")).to_have_value("best")

    # When they narrow the search to Pens, then sort it by price, low to high
    page.get_by_label("Category").select_option(label="Pens")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("result-count")).to_contain_text("2 items in Pens")
    page.get_by_label("Sort by").select_option(label="Price: low to high")
    page.get_by_role("button", name="Sort").click()

    # Then the pens alone, the cheaper first, each card with its photo
    expect(page.locator("article h2")).to_have_text(["Gel pen", "Fountain pen"])
    assert "q=pen" in page.url and "category=pens" in page.url and "sort=price" in page.url
    assert loaded(page.get_by_role("img", name="Gel pen"))

    # When they open the Gel pen, then its page shows its photo, large
    page.get_by_role("link", name="Gel pen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gel pen")
    photo = page.get_by_test_id("listing-photos").get_by_role("img", name="Gel pen")
    expect(photo).to_be_visible()
    assert loaded(photo)
    box = photo.bounding_box()
    assert box is not None and box["width"] <= SCREENS[screen]["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SCREENS[screen]["width"]
