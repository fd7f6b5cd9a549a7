from django.core.management.base import BaseCommand

from payments.tasks import reconcile_pending_transactions_task


class Command(BaseCommand):
    help = "Settle money calls left pending, asking the gateway first (the beat job, once)."

    def handle(self, *args, **options):
        count = reconcile_pending_transactions_task()
        self.stdout.write(f"Transactions settled: {count}.")
