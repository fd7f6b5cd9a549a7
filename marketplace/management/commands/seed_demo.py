"""
Demo data for `make run`, screenshots and benchmarks (marketplace.demo).

Idempotent: every object is looked up by a natural key before it is created, so
running the command twice changes nothing the second time. The demo orders are
placed through the real services (checkout, preparing, shipping, delivery), then
backdated so each one shows the state it stands for; they are seeded once, when
`buyer` has no orders yet. `--orders N` adds N more every time it is given.
"""

from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from marketplace.demo.bulk import seed_bulk_orders
from marketplace.demo.cases import seed_disputes
from marketplace.demo.cast import DEMO_PASSWORD, create_accounts
from marketplace.demo.returns import seed_returns
from marketplace.demo.shelves import dress_the_shop
from marketplace.demo.story import seed_story
from notifications import outbox
from notifications.emails import EMAIL
from notifications.models import OutboxMessage
from payments.gateway import uses_stripe


class Command(BaseCommand):
    help = "Create the demo accounts and data (safe to run again)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--orders",
            type=int,
            default=0,
            help="Also create this many extra orders for benchmarks.",
        )
        parser.add_argument(
            "--no-history",
            dest="history",
            action="store_false",
            help="Skip the sellers' eight weeks of past orders (quicker; for tests).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a staging copy; never a real shop).",
        )

    def handle(
        self, *args: object, orders: int, force: bool, history: bool = True, **options: int
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a real deployment: the demo accounts share "
                "a published password. Use --force to seed anyway."
            )
        if orders < 0:
            raise CommandError("--orders must be 0 or more.")
        if orders and uses_stripe():
            raise CommandError(
                "--orders writes the sandbox gateway's charges directly (for benchmarks): "
                "run it with PAYMENT_GATEWAY=sandbox."
            )
        verbosity = options["verbosity"]
        first_message = OutboxMessage.objects.aggregate(last=Max("pk", default=0))["last"]
        # Hundreds of emails and money calls at once: the outbox sweep delivers them in
        # batches, so the worker's queue stays free for the beat jobs.
        with outbox.left_to_the_sweep(), transaction.atomic():
            users = create_accounts()
            dress_the_shop(users)
            seed_story(users, history=history)
            seed_disputes(users)
            seed_returns(users)
        if orders:
            seed_bulk_orders(users, orders, progress=verbosity >= 1)
        # The demo's emails tell of what happened before anyone looked: nobody is sent
        # them (`make run` would print hundreds before its address). The money calls
        # stay queued: the worker settles them.
        OutboxMessage.objects.filter(
            pk__gt=first_message, kind=EMAIL, status=OutboxMessage.Status.PENDING
        ).update(status=OutboxMessage.Status.DELIVERED, delivered_at=timezone.now())
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS("Demo data ready."))
            self.stdout.write(
                f"Demo accounts (password '{DEMO_PASSWORD}', demo only): {', '.join(sorted(users))}"
            )
