from django.core.management.base import BaseCommand

from cancellations.tasks import auto_cancel_late_orders_task


class Command(BaseCommand):
    help = "Cancel unshipped units past ship-by + AUTO_CANCEL_AFTER_DAYS (the beat job, once)."

    def handle(self, *args, **options):
        count = auto_cancel_late_orders_task()
        self.stdout.write(f"Orders auto-cancelled: {count}.")
