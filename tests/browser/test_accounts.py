"""
A stranger walks in: signs up at a phone's width without JavaScript, confirms the
address from the emailed link, and signs in; and a forgotten password is reset from the
emailed link. The emails are the ones sent, as `make run` prints them.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, UserFactory

from .steps import field, sent_link

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "a brand new passphrase 42"


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page: Page, login: str, password: str) -> None:
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label(field("Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_stranger_signs_up_confirms_the_email_and_signs_in(new_context):
    """
    Given a phone without JavaScript, when a stranger signs up from the nav's "Sign up",
    then they are signed in; the emailed link's Confirm button confirms the address; and
    after signing out, their email and password sign them in again.
    """
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("nell@example.com")
    page.get_by_label("Username").fill("nell")
    page.get_by_label(field("Password")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    assert fits_the_screen(page)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("user-name")).to_have_text("nell")

    page.goto(sent_link("nell@example.com", "/accounts/confirm-email/"))
    expect(page.get_by_text("is the email address of the Marketplace account")).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Confirm your email address")).to_have_count(0)
    assert EmailAddress.objects.get(email="nell@example.com").verified

    page.get_by_role("button", name="Sign out").click()
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    sign_in(page, "nell@example.com", PASSWORD)
    expect(page.get_by_test_id("user-name")).to_have_text("nell")


def test_a_forgotten_password_is_reset_from_the_sent_link(page: Page, new_page):
    """
    Given Bea asking for a reset from the sign-in page's "Forgot your password?", when
    she follows the emailed link and chooses a new password, then the new one signs her
    in and the old one no longer does.
    """
    UserFactory(username="bea", first_name="Bea")
    page.goto("/accounts/sign-in/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("bea@example.com")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(sent_link("bea@example.com", "/accounts/password/reset/key/"))
    page.get_by_label(field("New password")).fill(NEW_PASSWORD)
    page.get_by_label(field("New password (again)")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    assert get_user_model().objects.get(username="bea").check_password(NEW_PASSWORD)

    old = new_page()
    sign_in(old, "bea", PASSWORD)
    expect(old.get_by_text("are not correct")).to_be_visible()
    sign_in(page, "bea", NEW_PASSWORD)
    expect(page.get_by_test_id("user-name")).to_have_text("Bea")
