"""Real concurrency for the race tests (they mean something on PostgreSQL only)."""

import threading

from django.db import connection


def run_together(*calls):
    """
    Run each call in its own thread, all released at the same moment by a barrier.
    Returns what each call returned or raised, in the order given.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as error:  # the test's assertions look at it
            outcomes[index] = error
        finally:
            connection.close()  # each thread's own connection, or the test DB cannot be dropped

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes
