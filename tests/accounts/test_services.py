"""accounts/services.py: name, time zone, saved addresses, and closing an account."""

from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Address, Profile
from cancellations.models import CancellationRequest
from catalog.models import Listing
from disputes.models import Dispute
from notifications.emails import EMAIL
from notifications.models import OutboxMessage
from orders.models import Order, OrderStatus, SavedCart
from tests.factories import ListingFactory, OrderFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = {
    "name": "Bea Buyer",
    "line1": "1 Main Street",
    "city": "Springfield",
    "postcode": "12345",
    "country": "US",
}


def address(user, **fields):
    return services.save_address(user_id=user.pk, **{**HOME, **fields})


# --- Name and time zone ------------------------------------------------------------------------
def test_update_name_saves_both_names_trimmed():
    """Given a user, when they save their name, then first and last name are stored trimmed."""
    user = UserFactory(first_name="Old")

    services.update_name(user_id=user.pk, first_name="  Bea ", last_name="Buyer ")

    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Bea", "Buyer")


def test_set_time_zone_makes_the_profile_and_empty_goes_back_to_the_portals():
    """A chosen zone is stored on a profile made on the way; "" clears it again."""
    user = UserFactory()

    services.set_time_zone(user_id=user.pk, time_zone="Asia/Tokyo")
    assert Profile.objects.get(user=user).time_zone == "Asia/Tokyo"

    services.set_time_zone(user_id=user.pk, time_zone="")
    assert Profile.objects.get(user=user).time_zone == ""


def test_an_unknown_time_zone_is_refused_and_nothing_is_stored():
    user = UserFactory()

    with pytest.raises(ValidationError):
        services.set_time_zone(user_id=user.pk, time_zone="Mars/Olympus_Mons")

    assert not Profile.objects.filter(user=user).exists()


# --- Saved addresses ---------------------------------------------------------------------------
def test_the_first_address_is_the_default_and_the_next_is_not():
    user = UserFactory()

    first = address(user)
    second = address(user, line1="2 Side Street")

    assert Address.objects.get(pk=first.pk).is_default
    assert not Address.objects.get(pk=second.pk).is_default


def test_saving_the_same_address_again_adds_nothing():
    """Checkout's "save this address" twice for one address keeps one row."""
    user = UserFactory()
    first = address(user)

    again = address(user)

    assert again.pk == first.pk
    assert Address.objects.filter(user=user).count() == 1


def test_addresses_are_capped(monkeypatch):
    """Past the cap, adding one is refused with a message and nothing is added."""
    monkeypatch.setattr(services, "MAX_ADDRESSES", 2)
    user = UserFactory()
    address(user, line1="1 A Street")
    address(user, line1="2 B Street")

    with pytest.raises(services.AccountError, match="at most 2"):
        address(user, line1="3 C Street")

    assert Address.objects.filter(user=user).count() == 2


def test_editing_changes_the_persons_own_address_only():
    """An edit names the address and the person: another person's id is not found."""
    bea, bob = UserFactory(), UserFactory()
    beas = address(bea)

    services.save_address(user_id=bea.pk, address_id=beas.pk, **{**HOME, "city": "Shelbyville"})
    with pytest.raises(Address.DoesNotExist):
        services.save_address(user_id=bob.pk, address_id=beas.pk, **{**HOME, "city": "Ogdenville"})

    assert Address.objects.get(pk=beas.pk).city == "Shelbyville"


def test_make_default_moves_the_default():
    user = UserFactory()
    first = address(user)
    second = address(user, line1="2 Side Street")

    services.make_default_address(user_id=user.pk, address_id=second.pk)

    assert list(Address.objects.filter(user=user, is_default=True)) == [second]
    assert not Address.objects.get(pk=first.pk).is_default


def test_another_persons_address_cannot_be_made_default_or_deleted():
    bea, bob = UserFactory(), UserFactory()
    beas = address(bea)
    address(bob)

    with pytest.raises(Address.DoesNotExist):
        services.make_default_address(user_id=bob.pk, address_id=beas.pk)
    with pytest.raises(Address.DoesNotExist):
        services.delete_address(user_id=bob.pk, address_id=beas.pk)

    assert Address.objects.filter(pk=beas.pk, is_default=True).exists()


def test_deleting_the_default_makes_the_newest_left_the_default():
    user = UserFactory()
    default = address(user)
    address(user, line1="2 Side Street")
    newest = address(user, line1="3 Far Street")

    services.delete_address(user_id=user.pk, address_id=default.pk)

    assert list(Address.objects.filter(user=user, is_default=True)) == [newest]
    assert not Address.objects.filter(pk=default.pk).exists()


# --- Closing an account ------------------------------------------------------------------------
def test_closing_is_refused_while_an_order_is_open_and_nothing_changes():
    """An unshipped order as buyer: refused with it named and linked; all stays as it was."""
    buyer = UserFactory(username="bea", first_name="Bea")
    order = OrderFactory(buyer=buyer, status=OrderStatus.UNSHIPPED)
    address(buyer)

    with pytest.raises(services.AccountHasOpenThings) as refused:
        services.close_account(user_id=buyer.pk)

    assert [(b.text, b.url) for b in refused.value.blockers] == [
        (f"Order {order.number}: unshipped", order.get_absolute_url())
    ]
    buyer.refresh_from_db()
    assert (buyer.username, buyer.is_active) == ("bea", True)
    assert Address.objects.filter(user=buyer).exists()
    assert Order.objects.get(pk=order.pk).ship_to_name == "Bea Buyer"
    assert not OutboxMessage.objects.filter(kind=EMAIL).exists()


def test_closing_is_refused_for_a_seller_with_an_open_order_and_the_listings_stay_on_sale():
    """The close step ran first (listings off sale) and rolled back with the refusal."""
    seller = SellerFactory()
    listing = ListingFactory(seller=seller)
    order = OrderFactory(seller=seller, status=OrderStatus.PREPARING, lines=[(listing, 1)])

    with pytest.raises(services.AccountHasOpenThings) as refused:
        services.close_account(user_id=seller.user.pk)

    assert [b.url for b in refused.value.blockers] == [order.get_seller_url()]
    assert Listing.objects.get(pk=listing.pk).is_active


def test_closing_is_refused_while_a_case_is_active():
    buyer = UserFactory()
    order = OrderFactory(buyer=buyer, status=OrderStatus.DELIVERED)
    case = Dispute.objects.create(
        order=order,
        buyer=buyer,
        seller=order.seller,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="Torn.",
        respond_by=order.placed_at,
    )

    with pytest.raises(services.AccountHasOpenThings) as refused:
        services.close_account(user_id=buyer.pk)

    assert [b.url for b in refused.value.blockers] == [case.get_absolute_url()]


def test_a_pending_cancellation_request_is_named_among_the_blockers():
    buyer = UserFactory()
    order = OrderFactory(buyer=buyer, status=OrderStatus.UNSHIPPED)
    CancellationRequest.objects.create(order=order, buyer=buyer, reason="other", note="Late.")

    with pytest.raises(services.AccountHasOpenThings) as refused:
        services.close_account(user_id=buyer.pk)

    texts = [b.text for b in refused.value.blockers]
    assert f"Cancellation request on order {order.number}: waiting for the seller" in texts


def test_closing_anonymises_the_person_and_keeps_their_orders():
    """
    Given a buyer with a finished order, a saved address, a cart and a confirmed email,
    when they close the account, then they are anonymised and inactive, their emails,
    addresses and cart are gone, the profile says when, the order keeps its number, lines
    and amount but not the name and street, and one last email went to the old address.
    """
    buyer = UserFactory(username="bea", first_name="Bea", last_name="Buyer")
    order = OrderFactory(
        buyer=buyer, status=OrderStatus.DELIVERED, ship_to_line2="Apt 4", total=Decimal("25.00")
    )
    address(buyer)
    SavedCart.objects.create(user=buyer, items={"1": 2})
    services.set_time_zone(user_id=buyer.pk, time_zone="Asia/Tokyo")

    services.close_account(user_id=buyer.pk)

    user = get_user_model().objects.get(pk=buyer.pk)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        f"closed-{buyer.pk}",
        "",
        "",
        "",
    )
    assert not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=buyer).exists()
    assert not Address.objects.filter(user=buyer).exists()
    assert not SavedCart.objects.filter(user=buyer).exists()
    profile = Profile.objects.get(user=buyer)
    assert profile.closed_at is not None and profile.time_zone == ""
    order.refresh_from_db()
    assert (order.ship_to_name, order.ship_to_line1, order.ship_to_line2) == (
        "Closed account",
        "Closed account",
        "",
    )
    assert (order.ship_to_city, order.ship_to_postcode, order.ship_to_country) == (
        "Springfield",
        "12345",
        "US",
    )
    assert (order.total, order.lines.count()) == (Decimal("25.00"), 1)
    (email,) = OutboxMessage.objects.filter(kind=EMAIL)
    assert email.payload["to"] == ["bea@example.com"]
    assert email.payload["subject"] == "Your Marketplace account is closed"
    assert "Your Marketplace account bea was closed on" in email.payload["body"]
    assert "JST" in email.payload["body"]  # in the zone the person had chosen


def test_closing_a_sellers_account_closes_the_store():
    """Listings off sale with the reason, return address removed, the store's name kept."""
    seller = SellerFactory(store_name="Sam's Paper", return_line1="1 Home Road", return_city="X")
    listing = ListingFactory(seller=seller)
    OrderFactory(seller=seller, status=OrderStatus.SHIPPED)

    services.close_account(user_id=seller.user.pk)

    listing.refresh_from_db()
    assert not listing.is_active
    assert listing.deactivated_reason == "The seller closed their account."
    seller.refresh_from_db()
    assert (seller.store_name, seller.return_line1, seller.return_city) == ("Sam's Paper", "", "")


def test_a_closed_account_cannot_be_closed_or_changed_again():
    user = UserFactory()
    services.close_account(user_id=user.pk)

    with pytest.raises(services.AccountError, match="closed"):
        services.close_account(user_id=user.pk)
    with pytest.raises(services.AccountError, match="closed"):
        services.update_name(user_id=user.pk, first_name="Back", last_name="")
