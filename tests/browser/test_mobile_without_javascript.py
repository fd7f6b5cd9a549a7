"""A phone with JavaScript off still reaches every part of the menu."""

from playwright.sync_api import expect

from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}


def test_phone_without_javascript_reaches_your_orders_and_sign_out(new_context, buyer):
    """
    Given a 390 px wide browser with JavaScript off,
    when the buyer signs in, the menu is open (there is no toggle to press),
    and Your Orders and Sign out both work.
    """
    context = new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(buyer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("button", name="Toggle navigation")).to_be_hidden()
    page.get_by_role("link", name="Your Orders").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your Orders")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_phone_with_javascript_keeps_the_collapsed_menu(new_context):
    """With JavaScript the menu stays behind its toggle, which opens it."""
    context = new_context(viewport=PHONE)
    page = context.new_page()
    page.goto("/")
    toggle = page.get_by_role("button", name="Toggle navigation")
    expect(toggle).to_be_visible()
    expect(page.get_by_role("link", name="Shop", exact=True)).to_be_hidden()
    toggle.click()
    expect(page.get_by_role("link", name="Shop", exact=True)).to_be_visible()
