"""
A whole case in a real browser: `buyer` opens a case, `seller` offers a
partial refund, `buyer` escalates instead, `staff` filters escalated cases in admin and
decides for the buyer with a full refund and a note; the buyer sees the outcome and
the refund on the order page, and it counts as an order defect for the seller.
"""

import re
from decimal import Decimal

from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from disputes.models import Dispute
from disputes.selectors import order_defect_rate
from orders.actors import Actor
from orders.services import mark_delivered
from payments.models import Payment
from tests.factories import UserFactory, shipped_order


def test_case_from_opening_to_a_staff_decision(
    live_server, page, new_page, sign_in, screenshot, buyer, seller
):
    # Given a delivered $25.00 order of two notebooks
    order = shipped_order(buyer=buyer, seller=seller, title="Dot-grid notebook", stock=5)
    mark_delivered(order_id=order.pk, actor=Actor.system())
    # And staff allowed to resolve cases
    staff = UserFactory(username="stella", first_name="Stella", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="disputes",
            codename__in=["view_dispute", "view_disputemessage", "resolve_dispute"],
        )
    )

    # When the buyer opens a case from the order page
    sign_in(page, buyer)
    page.goto(order.get_absolute_url())
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Item not as described").check()
    page.get_by_label("Describe the problem").fill("The notebooks have 80 pages, not 160.")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Item not as described")
    case = Dispute.objects.get()

    # And the seller offers a partial refund from the Resolution Center
    seller_page = new_page()
    sign_in(seller_page, seller.user)
    seller_page.get_by_role("link", name="Resolution Center").click()
    seller_page.get_by_role("link", name=f"Case {case.pk}").click()
    seller_page.get_by_label("Partial refund", exact=True).check()
    seller_page.get_by_label("Partial refund amount").fill("5.00")
    seller_page.get_by_role("button", name="Send offer").click()
    expect(seller_page.get_by_text("Offer sent to the buyer.")).to_be_visible()

    # And the buyer escalates instead of accepting
    page.reload()
    expect(page.get_by_test_id("offer")).to_contain_text("$5.00")
    page.get_by_role("button", name="Ask marketplace staff to decide").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Under review by the marketplace")

    # And staff filter escalated cases in admin and decide for the buyer, in full
    staff_page = new_page()
    staff_page.goto("/admin/login/?next=/admin/disputes/dispute/")
    staff_page.get_by_label("Username").fill("stella")
    staff_page.get_by_label("Password").fill("correct horse battery staple")
    staff_page.get_by_role("button", name="Log in").click()
    staff_page.locator('details[data-filter-title="escalated"]').get_by_role(
        "link", name="Yes"
    ).click()
    staff_page.get_by_role("link", name=f"Case {case.pk}").click()
    staff_page.get_by_role("link", name="Resolve for buyer").click()
    staff_page.get_by_label("Full refund").check()
    staff_page.get_by_label("Decision note").fill("The listing promised 160 pages.")
    staff_page.get_by_role("button", name="Resolve for buyer").click()
    expect(staff_page.get_by_text(re.compile("decided for the buyer"))).to_be_visible()
    screenshot(staff_page, "dispute-admin-decided")

    # Then the buyer sees the outcome and the refund on the order page
    page.goto(order.get_absolute_url())
    panel = page.get_by_test_id("case-panel")
    expect(panel.get_by_test_id("case-status")).to_have_text("Decided for the buyer")
    expect(panel.get_by_test_id("case-refund")).to_contain_text("$25.00 refunded")
    expect(page.get_by_test_id("amount-refunded")).to_contain_text("$25.00")
    page.get_by_role("link", name=re.compile(f"Case {case.pk}")).click()
    expect(page.get_by_test_id("decision-note")).to_contain_text("The listing promised 160 pages.")
    screenshot(page, "dispute-buyer-outcome")
    assert Payment.objects.get(pk=order.payment_id).amount_refunded == Decimal("25.00")
    # And it is an order defect for the seller
    assert order_defect_rate(seller, days=60).defects == 1
