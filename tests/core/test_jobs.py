"""The job framework (core/jobs.py): due ids in keyset batches, and one writer call per id."""

import contextlib
import logging

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def user_ids():
    return [UserFactory(username=f"due-{n}").pk for n in range(7)]


def test_due_ids_walks_every_bucket_a_batch_at_a_time(user_ids, monkeypatch):
    """
    Given 7 due rows, buckets of 3 pks and batches of 2, when a job reads its due ids,
    then it gets every id once, in pk order, a batch (one query) at a time.
    """
    monkeypatch.setattr(jobs, "BUCKET_SIZE", 3)
    due = User.objects.filter(pk__in=user_ids)

    with CaptureQueriesContext(connection) as queries:
        ids = list(jobs.due_ids(due, job="test", batch_size=2))

    assert ids == sorted(user_ids)
    assert len(set(ids)) == len(ids)
    batches = [q["sql"] for q in queries.captured_queries if "LIMIT 2" in q["sql"]]
    assert len(batches) >= len(ids) / 2  # no batch holds more than 2 ids


def test_due_ids_leaves_a_bucket_another_run_holds(user_ids, monkeypatch):
    """Given another run holds the bucket of the first ids, this run takes only the others."""
    monkeypatch.setattr(jobs, "BUCKET_SIZE", 3)
    held = min(user_ids) // 3

    @contextlib.contextmanager
    def claimed(job, bucket):
        yield bucket != held

    monkeypatch.setattr(jobs, "_bucket_claimed", claimed)

    ids = list(jobs.due_ids(User.objects.filter(pk__in=user_ids), job="test"))

    assert ids == sorted(pk for pk in user_ids if pk // 3 != held)


def test_due_ids_still_yields_a_row_that_stopped_being_due_after_its_batch_was_read(
    user_ids, monkeypatch
):
    """The writer re-checks each row under its lock; due_ids does not read twice."""
    monkeypatch.setattr(jobs, "BUCKET_SIZE", 10**9)  # one bucket, one batch
    due = User.objects.filter(pk__in=user_ids)
    walk = jobs.due_ids(due, batch_size=len(user_ids))
    first = next(walk)
    User.objects.filter(pk__in=user_ids).delete()

    assert [first, *walk] == sorted(user_ids)


def test_run_for_each_counts_what_the_writer_did_and_goes_on_past_a_broken_row(caplog):
    """Given a writer that does 1 and 3, skips 2 and breaks on 4, the run counts 2 and logs 4."""

    def act(object_id):
        if object_id == 4:
            raise RuntimeError("broken row")
        return object_id != 2

    with caplog.at_level(logging.ERROR, logger="core.jobs"):
        done = jobs.run_for_each([1, 2, 3, 4, 5], act, what="Test job")

    assert done == 3
    (record,) = caplog.records
    assert record.getMessage() == "Test job: could not handle 4"
    assert record.exc_info is not None


def test_run_for_each_stops_at_the_soft_time_limit(caplog):
    """Given the soft limit hits on the third id, the run stops there and keeps its count."""
    seen = []

    def act(object_id):
        if object_id == 3:
            raise SoftTimeLimitExceeded
        seen.append(object_id)
        return True

    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        done = jobs.run_for_each([1, 2, 3, 4], act, what="Test job")

    assert (done, seen) == (2, [1, 2])
    assert "Test job: out of time after 2; the next run goes on" in caplog.text


def test_run_for_each_runs_the_whole_run_inside_around():
    """The caller's context (the outbox's gathering) is entered once, before the first id."""
    trail = []

    @contextlib.contextmanager
    def around():
        trail.append("enter")
        yield
        trail.append("exit")

    done = jobs.run_for_each(
        [1, 2], lambda pk: trail.append(pk) is None, what="Test", around=around
    )

    assert done == 2
    assert trail == ["enter", 1, 2, "exit"]


# --- run_in_batches ---------------------------------------------------------------------------
def batches_of(ids, size, *, fail_at=None, error=RuntimeError):
    """A ``take`` over ``ids``: the next ``size`` after ``after``; raises at ``fail_at``."""
    calls = []

    def take(after):
        calls.append(after)
        batch = [pk for pk in ids if pk > after][:size]
        if fail_at is not None and batch and batch[0] == fail_at:
            raise error("boom")
        return (batch[-1], len(batch)) if batch else None

    return take, calls


def test_run_in_batches_walks_on_from_the_last_id_and_adds_up_the_counts():
    take, calls = batches_of([2, 3, 5, 8, 13], 2)
    assert jobs.run_in_batches(take, what="Test") == 5
    assert calls == [0, 3, 8, 13]


@pytest.mark.parametrize("error", [SoftTimeLimitExceeded, RuntimeError])
def test_run_in_batches_stops_at_a_failed_batch_and_keeps_what_it_did(error, caplog):
    """Out of time, or a batch that failed whole: the run ends there, the next run goes on."""
    take, calls = batches_of([1, 2, 3, 4, 5], 2, fail_at=3, error=error)
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        assert jobs.run_in_batches(take, what="Test job") == 2
    assert calls == [0, 2]
    assert "the next run goes on" in caplog.text
