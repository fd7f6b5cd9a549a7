"""
A customer opens a store and lists a product with a photo in a real browser, then finds
its thumbnail in Inventory, on a laptop's width and on a phone's.
"""

import re

from playwright.sync_api import expect

from catalog.models import Listing, Seller
from tests.factories import UserFactory, image_file

from .steps import add_a_listing, open_a_store


def test_a_customer_opens_a_store_and_lists_a_product_with_a_photo(
    live_server, page, sign_in, screenshot, settings, tmp_path
):
    settings.SERVE_MEDIA = True  # the live server serves the uploaded photo and its thumbnail
    photo = tmp_path / "kettle.png"
    photo.write_bytes(image_file(size=(640, 480), colour="darkorange").read())
    # Given a customer with a confirmed email address
    customer = UserFactory(username="kim", first_name="Kim", last_name="Kettle")
    sign_in(page, customer)

    # When they follow "Start selling" and open their store
    open_a_store(
        page,
        name="Kim's Kettles",
        line1="3 Steam Street",
        city="Leeds",
        postcode="LS1 4AP",
        country="GB",
        policies="Every kettle is tested before it ships.",
    )

    # Then Seller Central opens for them
    expect(page.get_by_role("heading", level=1)).to_have_text("Seller Central")
    expect(page.get_by_text("Your store “Kim's Kettles” is open.")).to_be_visible()
    assert Seller.objects.get(user=customer).return_country == "GB"

    # When they add a listing with a photo from Inventory
    add_a_listing(
        page,
        title="Copper kettle, 1.5 L",
        description="A hand-beaten copper kettle for the hob.",
        price="64.00",
        stock="2",
        photo=photo,
    )

    # Then its edit page shows the photo, and the checklist still asks for a category
    expect(page.get_by_text("“Copper kettle, 1.5 L” listed.")).to_be_visible()
    expect(page.get_by_test_id("photo")).to_have_count(1)
    expect(page.get_by_test_id("checklist").locator('[data-done="no"]')).to_have_count(2)
    listing = Listing.objects.get(seller__user=customer)
    assert (listing.title, listing.stock, listing.photos.count()) == ("Copper kettle, 1.5 L", 2, 1)

    # And Inventory shows its thumbnail (loaded from the media URL) and warns of low stock
    page.goto("/seller/inventory/")
    row = page.get_by_test_id("inventory-row")
    thumbnail = row.locator("img.photo")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^/media/thumbnails/"))
    expect(thumbnail).to_have_js_property("naturalWidth", 192)
    expect(row.get_by_test_id("low-stock")).to_be_visible()
    screenshot(page, "inventory-with-a-photo")

    # And on a phone the row stacks, the thumbnail beside the title, nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(thumbnail).to_be_visible()
    box = thumbnail.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "inventory-with-a-photo-phone")
