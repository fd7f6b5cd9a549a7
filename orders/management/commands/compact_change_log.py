from django.core.management.base import BaseCommand

from orders.tasks import compact_change_log_task


class Command(BaseCommand):
    help = "Fold the pages' change log: each owner's many rows into one (the beat job, once)."

    def handle(self, *args, **options):
        gone = compact_change_log_task()
        self.stdout.write(f"Change log rows folded away: {gone}.")
