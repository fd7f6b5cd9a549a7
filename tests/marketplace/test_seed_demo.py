"""`seed_demo` creates the demo accounts and can run any number of times."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from catalog.models import Seller

pytestmark = pytest.mark.django_db


def counts():
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {"auth", "catalog", "orders", "cancellations", "payments", "disputes", "notifications"}
    }


def test_seed_demo_creates_the_documented_accounts():
    call_command("seed_demo", verbosity=0)
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert {"buyer", "buyer2", "seller", "seller2", "staff"} <= usernames
    assert set(Seller.objects.values_list("user__username", flat=True)) == {"seller", "seller2"}
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff
    assert authenticate(username="buyer", password="marketplace-demo") is not None


def test_seed_demo_twice_duplicates_nothing():
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == first
