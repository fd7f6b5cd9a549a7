from django.db import models


class OutboxMessage(models.Model):
    """
    A side effect to perform after a transaction commits: an email, a gateway call.

    The row is written in the same transaction as the business change, so the effect
    is never lost (a broker outage only delays it) and never happens for a change
    that rolled back. A Celery task delivers it, at least once, through the handler
    registered for its kind (see ``notifications.outbox``).

    ``available_at`` is when the message may next be attempted: after its back-off
    while pending, after the claiming worker's lease while delivering.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERING = "delivering", "Delivering"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["status", "available_at"], name="outbox_pending_idx")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"
