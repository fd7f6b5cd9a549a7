"""
Steps several browser stories take the same way: a field found by its label as the
page reads it, the link in an email the portal sent, opening a store, adding a listing.
Each does what a person does on the page; the stories assert what follows.
"""

import re

from django.core import mail
from playwright.sync_api import Page, expect


def field(name: str) -> re.Pattern:
    """A field's label as the page reads it, the required mark ("*") after it or not."""
    return re.compile(rf"^\s*{re.escape(name)}\W*$", re.IGNORECASE)


def sent_link(to: str, path_start: str) -> str:
    """
    The link starting with ``path_start`` in the last email sent to ``to`` (the outbox
    delivers at once in tests: this is the email `make run` prints in its console).
    """
    (email,) = [message for message in mail.outbox if message.to == [to]][-1:]
    (link,) = [url for url in re.findall(r"https?://\S+", email.body) if path_start in url]
    return link


def open_a_store(
    page: Page,
    *,
    name: str,
    return_name: str = "",
    line1: str,
    city: str,
    postcode: str,
    country: str,
    policies: str = "",
) -> None:
    """From the nav's "Start selling", fill the store form and open the store."""
    page.get_by_role("link", name="Start selling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start selling")
    page.get_by_label("Store name").fill(name)
    if return_name:
        page.get_by_label(field("Name")).fill(return_name)
    page.get_by_label("Address line 1").fill(line1)
    page.get_by_label("City").fill(city)
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_label("Country").select_option(country)
    if policies:
        page.get_by_label("Policies").fill(policies)
    page.get_by_role("button", name="Open my store").click()


def add_a_listing(
    page: Page, *, title: str, description: str, price: str, stock: str, photo
) -> None:
    """From Seller Central's Inventory, "Add a listing", new, with one photo."""
    page.get_by_role("navigation", name="Seller Central").get_by_role(
        "link", name="Inventory"
    ).click()
    page.get_by_role("link", name="Add a listing").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Condition").select_option("new")
    page.get_by_label("Price").fill(price)
    page.get_by_label("Stock").fill(stock)
    page.get_by_label("Add photos").set_input_files(photo)
    page.get_by_role("button", name="Create listing").click()
