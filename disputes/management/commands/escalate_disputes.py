from django.core.management.base import BaseCommand

from disputes.tasks import escalate_unresponsive_disputes_task


class Command(BaseCommand):
    help = "Escalate open cases whose seller did not respond in time (the beat job, once)."

    def handle(self, *args, **options):
        escalated = escalate_unresponsive_disputes_task()
        self.stdout.write(f"Escalated {escalated} case{'s' if escalated != 1 else ''}.")
