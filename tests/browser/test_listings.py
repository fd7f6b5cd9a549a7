"""
A customer opens a store and lists a product with a photo in a real browser, then finds
its thumbnail in Inventory, on a laptop's width and on a phone's.
"""

import re

from playwright.sync_api import expect

from catalog.models import Listing, Seller
from tests.factories import UserFactory, image_file


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
    page.get_by_role("link", name="Start selling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start selling")
    page.get_by_label("Store name").fill("Kim's Kettles")
    page.get_by_label("Address line 1").fill("3 Steam Street")
    page.get_by_label("City").fill("Leeds")
    page.get_by_label("Postcode").fill("LS1 4AP")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Policies").fill("Every kettle is tested before it ships.")
    page.get_by_role("button", name="Open my store").click()

    # Then Seller Central opens for them
    expect(page.get_by_role("heading", level=1)).to_have_text("Seller Central")
    expect(page.get_by_text("Your store “Kim's Kettles” is open.")).to_be_visible()
    assert Seller.objects.get(user=customer).return_country == "GB"

    # When they add a listing with a photo from Inventory
    page.get_by_role("navigation", name="Seller Central").get_by_role(
        "link", name="Inventory"
    ).click()
    page.get_by_role("link", name="Add a listing").click()
    page.get_by_label("Title").fill("Copper kettle, 1.5 L")
    page.get_by_label("Description").fill("A hand-beaten copper kettle for the hob.")
    page.get_by_label("Condition").select_option("new")
    page.get_by_label("Price").fill("64.00")
    page.get_by_label("Stock").fill("2")
    page.get_by_label("Add photos").set_input_files(photo)
    page.get_by_role("button", name="Create listing").click()

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
