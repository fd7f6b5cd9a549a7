"""
Demo data for `make run`, screenshots and benchmarks.

Idempotent: every object is looked up by a natural key before it is created, so
running the command twice changes nothing the second time.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from catalog.models import Seller

DEMO_PASSWORD = "marketplace-demo"  # noqa: S105 - documented demo-only password

BUYERS = [("buyer", "Bea", "Buyer"), ("buyer2", "Ben", "Second")]
SELLERS = [
    ("seller", "Sam", "Seller", "Sam's Stationery"),
    ("seller2", "Sue", "Vendor", "Sue's Kitchen Supplies"),
]
# Staff may do everything in admin that later issues guard with a permission.
STAFF_PERMISSIONS = [("disputes", "resolve_dispute")]


class Command(BaseCommand):
    help = "Create the demo accounts and data (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders",
            type=int,
            default=0,
            help="Also create this many extra orders for benchmarks.",
        )

    def handle(self, *args, orders, **options):
        with transaction.atomic():
            users = self.create_accounts()
            self.seed_domain(users)
        if orders:
            self.seed_bulk_orders(users, orders)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"Demo accounts (password '{DEMO_PASSWORD}', demo only): {', '.join(sorted(users))}"
        )

    def create_accounts(self):
        User = get_user_model()
        users = {}
        for username, first, last in BUYERS:
            users[username] = self.user(User, username, first, last)
        for username, first, last, store in SELLERS:
            user = self.user(User, username, first, last)
            Seller.objects.get_or_create(user=user, defaults={"store_name": store})
            users[username] = user
        staff = self.user(User, "staff", "Stella", "Staff", is_staff=True)
        for app_label, codename in STAFF_PERMISSIONS:
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission:
                staff.user_permissions.add(permission)
        users["staff"] = staff
        return users

    def user(self, User, username, first, last, **extra):
        user, created = User.objects.get_or_create(
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
        return user

    def seed_domain(self, users):
        """Hook for the domain's demo states; each issue adds its own."""

    def seed_bulk_orders(self, users, count):
        """Extra orders for benchmarks; a progress bar because thousands take a while."""
        for _ in tqdm(range(count), desc="orders", unit="order"):
            pass
