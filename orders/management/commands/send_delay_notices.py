from django.core.management.base import BaseCommand

from orders.tasks import send_delay_notices_task


class Command(BaseCommand):
    help = "Tell buyers and sellers of late orders, once per order (the beat job, once)."

    def handle(self, *args, **options):
        count = send_delay_notices_task()
        self.stdout.write(f"Delay notices sent: {count}.")
