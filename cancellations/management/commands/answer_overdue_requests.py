from django.core.management.base import BaseCommand

from cancellations.tasks import answer_overdue_requests_task


class Command(BaseCommand):
    help = "Approve or close cancellation requests left unanswered (the beat job, once)."

    def handle(self, *args, **options):
        count = answer_overdue_requests_task()
        self.stdout.write(f"Requests answered: {count}.")
