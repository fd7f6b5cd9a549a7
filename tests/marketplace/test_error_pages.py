"""Error pages wear the site's layout, 4xx log one line, and every page has a favicon."""

import logging

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAYOUT = "Skip to main content"


def test_404_is_in_the_site_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert LAYOUT in body
    assert "We could not find that page" in body


def test_403_for_a_buyer_on_seller_central_is_in_the_site_layout(client):
    client.force_login(UserFactory(username="bea"))
    response = client.get(reverse("sellercentral:orders"))
    assert response.status_code == 403
    body = response.content.decode()
    assert LAYOUT in body
    assert "This page is not open to your account" in body
    assert "signed in as bea" in body


def test_400_is_in_the_site_layout(admin_client):
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"status": "\x00"})
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/accounts/sign-in/", 400, "We could not understand that request"),
        ("/no-such-page/", 404, "We could not find that page"),
    ],
)
def test_a_form_post_in_another_charset_gets_an_error_page_in_the_layout(path, status, heading):
    """
    Given a browser holding the CSRF cookie (so the CSRF check reads the form),
    when it posts a form that declares a charset other than UTF-8,
    then the answer is the usual error page in the site's layout, not a 500:
    Django refuses such a body (BadRequest) and its own error handlers read it again.
    """
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.get(reverse("login"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post(
        path,
        f"username=bea&password=x&csrfmiddlewaretoken={token}",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )

    assert response.status_code == status
    body = response.content.decode()
    assert LAYOUT in body
    assert heading in body


def test_500_renders_without_a_request_context():
    """Django renders the 500 page with no context processors: it must still render."""
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert LAYOUT in body
    assert "Something went wrong on our side" in body


def test_a_403_logs_one_line_without_a_traceback(client, caplog):
    client.force_login(UserFactory())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(reverse("sellercentral:orders"))
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert "Forbidden" in records[0].getMessage()


def test_a_500_keeps_its_traceback():
    from marketplace.log_filters import QuietClientErrors

    record = logging.LogRecord("django.request", logging.ERROR, "", 0, "boom", (), None)
    record.status_code, record.exc_info = 500, (RuntimeError, RuntimeError("boom"), None)
    QuietClientErrors().filter(record)
    assert record.exc_info is not None


def test_pages_name_a_favicon_that_exists(client):
    body = client.get(reverse("home")).content.decode()
    assert 'rel="icon"' in body
    assert finders.find("img/favicon.svg")
