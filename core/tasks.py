"""What the Celery tasks of every app share: the options of a beat job."""

from typing import Any

from django.db import DatabaseError

# The Celery options every beat job's task shares (``*_task`` in each app's tasks.py).
BEAT_JOB_OPTIONS: dict[str, Any] = {
    # A worker that dies mid-run leaves the message unacknowledged, so Redis redelivers
    # it (after the visibility timeout); the writers make the second run a no-op.
    "acks_late": True,
    "reject_on_worker_lost": True,
    # A run stops taking new orders at the soft limit (what it did is committed, order
    # by order; the next beat carries on) and is killed at the hard one.
    "soft_time_limit": 240,
    "time_limit": 300,
    # The database restarting or failing over: try again soon. Every countdown stays far
    # below the broker's visibility timeout (settings), so a retry is never also
    # redelivered as an unacknowledged message.
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 15,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 3,
}
