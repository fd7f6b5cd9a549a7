"""
The demo's cast: the named accounts (buyers, sellers and staff, one published password),
the buyers' addresses and the sellers' listings the walk-through in README.md buys from.
Every one is looked up by its natural key before it is created, so seeding twice adds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from accounts.models import Address, Profile
from catalog.models import Listing, Seller
from orders.services import ShippingAddress

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_PASSWORD = "marketplace-demo"  # noqa: S105 - documented demo-only password

BUYERS = [("buyer", "Bea", "Buyer"), ("buyer2", "Ben", "Second"), ("regular", "Rita", "Regular")]
SELLERS = [
    ("seller", "Sam", "Seller", "Sam's Stationery"),
    ("seller2", "Sue", "Vendor", "Sue's Kitchen Supplies"),
]
# Staff may do everything in admin that later issues guard with a permission.
# The group a data migration creates with what staff may read in admin.
STAFF_GROUP = "Marketplace staff"
STAFF_PERMISSIONS = [("disputes", "resolve_dispute")]

ADDRESSES = {
    "regular": ShippingAddress(
        name="Rita Regular", line1="7 Market Row", city="Shelbyville", postcode="62565"
    ),
    "buyer": ShippingAddress(
        name="Bea Buyer", line1="12 Orchard Lane", city="Springfield", postcode="62704"
    ),
    "buyer2": ShippingAddress(
        name="Ben Second",
        line1="480 Harbor Street",
        line2="Apt 3B",
        city="Portland",
        postcode="97209",
    ),
}


@dataclass(frozen=True)
class DemoListing:
    title: str
    description: str
    price: str
    stock: int
    handling_days: int


LISTINGS = {
    "seller": [
        DemoListing(
            "Dot-grid A5 notebook, 160 pages",
            "Lay-flat binding and 100 gsm ivory paper that takes fountain-pen ink without "
            "bleeding through. Numbered pages, an index and two ribbon markers.",
            "14.50",
            40,
            1,
        ),
        DemoListing(
            "Gel ink pens, 0.5 mm, pack of 10",
            "Quick-drying black gel ink with a comfortable rubber grip. Smudge-resistant, "
            "so left-handed writers love them too.",
            "11.99",
            50,
            1,
        ),
        DemoListing(
            "Brass fountain pen, fine nib",
            "Solid brass body that darkens to a warm patina with use. Steel fine nib, "
            "takes standard international cartridges; a converter is included.",
            "38.00",
            12,
            2,
        ),
        DemoListing(
            "LED desk lamp with dimmer",
            "Adjustable arm and head, five brightness levels and three colour temperatures. "
            "USB-C port in the base to charge your phone.",
            "49.95",
            8,
            3,
        ),
        DemoListing(
            "Kraft sticky notes, 6 pads",
            "Recycled kraft paper, 76 × 76 mm, 100 sheets a pad. The adhesive holds on "
            "monitors and lifts off cleanly.",
            "7.25",
            30,
            1,
        ),
        DemoListing(
            "Walnut desk organizer",
            "Solid walnut with five compartments for pens, cards and a phone. Oiled finish, "
            "felt feet that do not scratch the desk.",
            "32.00",
            6,
            3,
        ),
    ],
    "seller2": [
        DemoListing(
            "Stainless steel electric kettle, 1.7 L",
            "Boils a full jug in under four minutes. Auto shut-off, boil-dry protection "
            "and a limescale filter you can rinse.",
            "44.99",
            15,
            2,
        ),
        DemoListing(
            "Stoneware mugs, set of 4",
            "Reactive glaze in four sea colours, 350 ml each. Dishwasher and microwave safe.",
            "29.50",
            20,
            2,
        ),
        DemoListing(
            "German steel knife set, 5 pieces with block",
            "Chef's, bread, utility, paring and santoku knives forged from X50CrMoV15 steel, "
            "in an acacia block.",
            "129.00",
            5,
            3,
        ),
        DemoListing(
            "Bamboo cutting board, large",
            "45 × 30 cm end-grain bamboo that is gentle on knife edges. Juice groove on one "
            "side, flat on the other.",
            "24.00",
            25,
            1,
        ),
        DemoListing(
            "Cast-iron skillet, 10 inch",
            "Pre-seasoned with vegetable oil, ready to use. Goes from hob to oven to campfire.",
            "36.75",
            10,
            2,
        ),
    ],
}

# Short names for the demo orders and cases.
NOTEBOOK, GEL_PENS, FOUNTAIN_PEN, DESK_LAMP, STICKY_NOTES, ORGANIZER = (
    listing.title for listing in LISTINGS["seller"]
)
KETTLE, MUGS, KNIFE_SET, CUTTING_BOARD, SKILLET = (listing.title for listing in LISTINGS["seller2"])


def create_accounts() -> dict[str, User]:
    """The demo accounts by username: the buyers, the sellers with their stores, and staff."""
    users = {}
    for username, first, last in BUYERS:
        users[username] = _user(username, first, last)
    for username, first, last, store in SELLERS:
        user = _user(username, first, last)
        Seller.objects.get_or_create(user=user, defaults={"store_name": store})
        users[username] = user
    staff = _user("staff", "Stella", "Staff", is_staff=True)
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    for app_label, codename in STAFF_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission:
            staff.user_permissions.add(permission)
    users["staff"] = staff
    seed_account_settings(users)
    return users


# `buyer`'s saved addresses (checkout offers the default first) beside the one
# ADDRESSES holds for the demo orders, and a display time zone for `seller2`.
SAVED_ADDRESSES: dict[str, list[dict[str, Any]]] = {
    "buyer": [
        {
            "name": "Bea Buyer",
            "line1": "12 Orchard Lane",
            "city": "Springfield",
            "state": "IL",
            "postcode": "62704",
            "is_default": True,
        },
        {
            "name": "Bea Buyer",
            "line1": "1 Commerce Plaza",
            "line2": "Floor 9",
            "city": "Chicago",
            "state": "IL",
            "postcode": "60606",
        },
    ],
}
TIME_ZONES = {"seller2": "Europe/Berlin"}


def seed_account_settings(users: dict[str, User]) -> None:
    """The demo's saved addresses and display time zones (kept as they are if already there)."""
    for username, addresses in SAVED_ADDRESSES.items():
        if not Address.objects.filter(user=users[username]).exists():
            Address.objects.bulk_create(
                Address(user=users[username], **address) for address in addresses
            )
    for username, zone in TIME_ZONES.items():
        Profile.objects.get_or_create(user=users[username], defaults={"time_zone": zone})


def _user(username: str, first: str, last: str, **extra: bool) -> User:
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.com",
            **extra,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # A confirmed address (django-allauth's record), as a first order and a new store ask;
    # also for a demo account seeded before addresses were confirmed.
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_listings(users: dict[str, User]) -> dict[str, Listing]:
    """The sellers' demo listings by title (an existing one is kept as it is)."""
    listings = {}
    for username, demo_listings in LISTINGS.items():
        seller = users[username].seller
        for demo in demo_listings:
            listing, _created = Listing.objects.get_or_create(
                seller=seller,
                title=demo.title,
                defaults={
                    "description": demo.description,
                    "price": Decimal(demo.price),
                    "stock": demo.stock,
                    "handling_days": demo.handling_days,
                },
            )
            listings[demo.title] = listing
    return listings


def restock(listings: dict[str, Listing]) -> None:
    """Every demo listing back to its demo stock."""
    for demo_listings in LISTINGS.values():
        for demo in demo_listings:
            Listing.objects.filter(pk=listings[demo.title].pk).update(stock=demo.stock)
