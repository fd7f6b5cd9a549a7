"""
The Resolution Center and admin decision forms under generated input (hypothesis).

The buyer, the seller and staff post whatever a browser, a proxy or an attacker could
send: huge, negative, fractional, exponent, non-ASCII and NUL-laden amounts; garbage
kinds and reasons; long and NUL-laden text. Never a server error; a refused post
changes nothing; an accepted one never refunds more than was charged.

Every example runs in a savepoint that is rolled back, so each starts from the same case.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from disputes.models import Dispute
from payments.models import PaymentTransaction

pytestmark = pytest.mark.django_db

FUZZ_SETTINGS = hypothesis_settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)

text = st.one_of(
    st.text(max_size=30),
    st.text(min_size=1990, max_size=2010, alphabet="ab\x00<>&é"),
    st.sampled_from(["", " ", "\x00", "<script>x</script>", "ok"]),
)
amounts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "-0.01", "0.001", "1e3", "25", "25.00", "25.01", "9" * 40, "١٢", ""]),
    st.text(max_size=12),
)


class Rollback(Exception):
    pass


def post_and_roll_back(client, url, data, check):
    try:
        with transaction.atomic():
            response = client.post(url, data)
            assert response.status_code in (200, 302, 400), response.status_code
            check(response)
            raise Rollback
    except Rollback:
        pass


def refunds_within_charge(case):
    refunded = sum(
        row.amount
        for row in PaymentTransaction.objects.filter(
            payment_id=case.order.payment_id, kind=PaymentTransaction.Kind.REFUND
        )
    )
    assert refunded <= Decimal("25.00")


@pytest.fixture
def case(open_case):
    return open_case()


@FUZZ_SETTINGS
@given(kind=st.one_of(st.sampled_from(["full", "partial"]), st.text(max_size=8)), amount=amounts)
@example(kind="partial", amount="25.01")
@example(kind="partial", amount="NaN")
def test_offer_form(case, seller, kind, amount):
    client = Client()
    client.force_login(seller.user)

    def check(response):
        offered = Dispute.objects.get(pk=case.pk)
        if response.status_code == 400:
            assert not offered.has_offer
        elif offered.has_offer:
            assert Decimal("0") < offered.offer_amount <= Decimal("25.00")

    post_and_roll_back(
        client, reverse("disputes:offer", args=[case.pk]), {"kind": kind, "amount": amount}, check
    )


@FUZZ_SETTINGS
@given(body=text)
def test_reply_form(case, buyer, body):
    client = Client()
    client.force_login(buyer)

    def check(response):
        count = Dispute.objects.get(pk=case.pk).messages.count()
        assert count == (2 if response.status_code == 302 else 1)

    post_and_roll_back(client, reverse("disputes:reply", args=[case.pk]), {"body": body}, check)


@FUZZ_SETTINGS
@given(reason=st.one_of(st.sampled_from(Dispute.Reason.values), st.text(max_size=8)), body=text)
def test_open_case_form(delivered_order, buyer, reason, body):
    client = Client()
    client.force_login(buyer)

    def check(response):
        assert Dispute.objects.count() == (1 if response.status_code == 302 else 0)

    post_and_roll_back(
        client,
        reverse("disputes:open_case", args=[delivered_order.number]),
        {"reason": reason, "description": body},
        check,
    )


@FUZZ_SETTINGS
@given(
    refund=st.one_of(st.sampled_from(["full", "partial"]), st.text(max_size=8)),
    amount=amounts,
    note=text,
)
@example(refund="partial", amount="25.005", note="n")
def test_admin_resolve_for_buyer_form(case, staff, refund, amount, note):
    client = Client()
    client.force_login(staff)

    def check(response):
        decided = Dispute.objects.get(pk=case.pk)
        if response.status_code == 302:
            assert decided.status == Dispute.Status.RESOLVED_FOR_BUYER
            assert decided.refund_amount <= Decimal("25.00")
        else:
            assert decided.status == Dispute.Status.OPEN
        refunds_within_charge(decided)

    post_and_roll_back(
        client,
        reverse("admin:disputes_dispute_resolve_for_buyer", args=[case.pk]),
        {"refund": refund, "amount": amount, "note": note},
        check,
    )
