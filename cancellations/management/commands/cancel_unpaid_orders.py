from django.core.management.base import BaseCommand

from cancellations.tasks import cancel_unpaid_orders_task


class Command(BaseCommand):
    help = "Cancel orders unpaid after PAYMENT_REVISE_DAYS (the beat job, once)."

    def handle(self, *args, **options):
        count = cancel_unpaid_orders_task()
        self.stdout.write(f"Unpaid orders cancelled: {count}.")
