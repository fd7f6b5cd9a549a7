"""
After a cancellation the pages tell the truth: the payment box agrees with the
banner, the totals say what the order costs now, and the Cancel Items form keeps the
buyer's choices and reports every problem at once.
"""

import re

import pytest
from django.urls import reverse

from cancellations.models import Reason
from cancellations.services.cancel import cancel_items
from orders.actors import Actor
from payments.models import PaymentTransaction
from tests.factories import ListingFactory

from .conftest import age

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def two_lines(place, seller):
    """2 notebooks at $12.50 and 1 pencil at $3.00: $28.00."""
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    pencil = ListingFactory(seller=seller, title="Red pencil", price="3.00", stock=5)
    return place({notebook: 2, pencil: 1})


def cancel(order, title, qty, buyer):
    line = order.lines.get(title=title)
    return cancel_items(
        order_id=order.pk,
        quantities={line.pk: qty},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )


def dd(html, testid):
    match = re.search(rf'data-testid="{testid}">\s*([^<]*?)\s*<', html)
    return match and match.group(1)


def test_the_payment_box_says_being_released_while_the_void_is_pending(
    signed_in, buyer, two_lines, django_capture_on_commit_callbacks
):
    """Until the gateway call has run, the release shows as pending, from the money rows."""
    # Given the notebooks cancelled, their void written but not yet run
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cancel(two_lines, "Blue notebook", 2, buyer)
    assert PaymentTransaction.objects.get(kind="void").status == "pending"

    # When the buyer opens the order page
    html = signed_in.get(two_lines.get_absolute_url()).content.decode()

    # Then the box shows the $25.00 as being released, not as still held nor released
    assert dd(html, "amount-releasing") == "$25.00"
    assert dd(html, "amount-on-hold") == "$3.00"
    assert dd(html, "amount-released") == "$0.00"
    assert "is being returned to your card" in html
    assert dd(html, "summary-total-now") == "$3.00"
    assert dd(html, "summary-returning") == "$25.00"

    # When the void runs
    for callback in callbacks:
        callback()
    html = signed_in.get(two_lines.get_absolute_url()).content.decode()

    # Then it is released, and nothing is pending any more
    assert 'data-testid="amount-releasing"' not in html
    assert dd(html, "amount-released") == "$25.00"
    assert dd(html, "amount-on-hold") == "$3.00"
    assert dd(html, "summary-returned") == "$25.00"


def confirm_by_page(client, order, title, qty):
    """Cancel Items → review → Confirm, as the buyer's browser posts them; the page after."""
    line = order.lines.get(title=title)
    url = reverse("cancellations:cancel_items", args=[order.number])
    choice = {f"line_{line.pk}": "on", f"qty_{line.pk}": str(qty), "reason": "created_by_mistake"}
    review = client.post(url, choice).content.decode()
    form = review[review.index('action="/your-orders/') :]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return client.post(reverse("cancellations:confirm", args=[order.number]), data, follow=True)


def flash(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_the_flash_and_the_payment_box_say_being_released_while_the_void_is_queued(
    signed_in, two_lines, django_capture_on_commit_callbacks
):
    """Until the gateway has run the void, neither the message nor the box says "released"."""
    # When the buyer confirms and the void is still waiting in the outbox
    with django_capture_on_commit_callbacks(execute=False):
        response = confirm_by_page(signed_in, two_lines, "Blue notebook", 2)

    # Then both say it is being released, and neither that it is released
    html = response.content.decode()
    assert PaymentTransaction.objects.get(kind="void").status == "pending"
    assert (
        "The $25.00 hold on your card ending 4242 is being released; you are not charged for it."
        in flash(response)
    )
    assert dd(html, "amount-releasing") == "$25.00"
    assert "released now" not in html and "was released" not in html


@pytest.mark.django_db(transaction=True)
def test_the_flash_says_released_once_the_void_has_run(signed_in, two_lines):
    """The void ran before the page was drawn: the message says released, as the box does."""
    # (A committing test: the outbox runs the void on commit, before the redirect.)
    response = confirm_by_page(signed_in, two_lines, "Blue notebook", 2)

    html = response.content.decode()
    assert PaymentTransaction.objects.get(kind="void").status == "succeeded"
    assert "The $25.00 hold on your card ending 4242 was released" in flash(response)
    assert dd(html, "amount-released") == "$25.00"
    assert 'data-testid="amount-releasing"' not in html


def test_the_order_summary_shows_items_cancelled_and_total_now(
    signed_in, buyer, two_lines, django_capture_on_commit_callbacks
):
    """Items, cancelled, released, total now with the original noted: like Amazon's summary."""
    with django_capture_on_commit_callbacks(execute=True):
        cancel(two_lines, "Blue notebook", 1, buyer)

    html = signed_in.get(two_lines.get_absolute_url()).content.decode()

    assert dd(html, "summary-items") == "$28.00"
    assert dd(html, "summary-cancelled") == "−$12.50"
    assert dd(html, "summary-returned") == "$12.50"
    assert dd(html, "summary-total-now") == "$15.50"
    assert "was <del>$28.00</del>" in html
    # The lines table: a partly cancelled line says so, its subtotal now beside the old one
    assert "1 of 2 cancelled" in html
    assert dd(html, "lines-total-now") == "$15.50"


def test_a_fully_cancelled_line_is_struck_as_a_whole(signed_in, buyer, two_lines):
    """Title, quantity and subtotal struck, and "Cancelled" said, on the page and the card."""
    cancel(two_lines, "Blue notebook", 2, buyer)

    page = signed_in.get(two_lines.get_absolute_url()).content.decode()
    card = signed_in.get(reverse("orders:your_orders")).content.decode()

    row = page[page.index('data-testid="line-cancelled"') :].split("</tr>")[0]
    assert '<del class="line-cancelled">Blue notebook</del>' in row
    assert '<del class="line-cancelled">2</del>' in row
    assert '<del class="line-cancelled">$25.00</del>' in row
    assert "All 2 cancelled" in row
    item = card[card.index('data-testid="line-cancelled"') :].split("</li>")[0]
    assert "Blue notebook" in item and "Cancelled" in item and "<del" in item
    assert dd(card, "order-total-now") == "$3.00"
    assert "was <del>$28.00</del>, $25.00 cancelled" in card


def review_post(order, **changes):
    line = order.lines.get(title="Blue notebook")
    data = {
        f"line_{line.pk}": "on",
        f"qty_{line.pk}": "1",
        "reason": "other",
        "note": "Bought it twice",
    }
    data.update(changes)
    return data


def test_change_on_the_review_page_keeps_the_choices(signed_in, two_lines):
    """Change posts the choices back: the item, its quantity, the reason and the note stay."""
    cancel_url = reverse("cancellations:cancel_items", args=[two_lines.number])
    review = signed_in.post(cancel_url, review_post(two_lines)).content.decode()
    assert 'name="change"' in review and f'formaction="{cancel_url}"' in review

    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review))
    response = signed_in.post(cancel_url, {**hidden, "change": "1"})

    html = response.content.decode()
    line = two_lines.lines.get(title="Blue notebook")
    assert response.status_code == 200
    assert re.search(rf'name="line_{line.pk}"\s+id="id_line_{line.pk}"\s+checked', html)
    assert re.search(rf'name="qty_{line.pk}"\s+id="id_qty_{line.pk}"\s+value="1"', html)
    assert re.search(r'<option value="other" selected>', html)
    assert "Bought it twice</textarea>" in html
    assert "is-invalid" not in html


def test_the_closed_quick_cancel_window_returns_to_the_form_with_the_choices(signed_in, two_lines):
    """Reviewed as a direct cancel, confirmed too late: back to the form, choices kept."""
    cancel_url = reverse("cancellations:cancel_items", args=[two_lines.number])
    review = signed_in.post(cancel_url, review_post(two_lines)).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review))
    age(two_lines, hours=2)

    response = signed_in.post(reverse("cancellations:confirm", args=[two_lines.number]), hidden)

    html = response.content.decode()
    line = two_lines.lines.get(title="Blue notebook")
    assert response.status_code == 409
    assert "no longer be cancelled directly" in html
    assert "<h1>Cancel items</h1>" in html
    assert re.search(rf'name="line_{line.pk}"\s+id="id_line_{line.pk}"\s+checked', html)
    assert re.search(r'<option value="other" selected>', html)
    assert "Bought it twice</textarea>" in html


def test_an_empty_cancel_form_reports_every_problem_at_once(signed_in, two_lines):
    """No item ticked and no reason: both are said in one go."""
    cancel_url = reverse("cancellations:cancel_items", args=[two_lines.number])

    response = signed_in.post(cancel_url, {"reason": "", "note": ""})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Tick at least one item to cancel." in html
    assert "This field is required." in html
