import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.celery import app as celery_app
from notifications import outbox
from notifications.models import OutboxMessage


@pytest.fixture
def register():
    """Register a handler for a test kind: ``register("test.kind", function)``; removed after."""
    added = []

    def add(kind, function):
        outbox.handler(kind)(function)
        added.append(kind)
        return function

    yield add
    for kind in added:
        outbox._handlers.pop(kind, None)


def make_due(*messages):
    """Move the messages' back-off or lease into the past, as if time had passed."""
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )


@contextmanager
def broker(url):
    """Publish for real (not eagerly) to ``url``, with the project's broker settings."""
    previous = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = url
    celery_app._after_fork()  # forget the pooled connections to the previous broker
    try:
        yield
    finally:
        celery_app.pool.force_close_all()
        celery_app.conf.broker_url = previous
        celery_app._after_fork()
        celery_app.conf.task_always_eager = True


@pytest.fixture
def silent_broker():
    """A TCP listener on a free port that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=5)
    for client in accepted:
        client.close()
    server.close()


@pytest.fixture
def closed_port():
    """A port where nothing listens (connection refused): a broker that is down."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
