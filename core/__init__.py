"""
The ground floor: the machinery every app shares, and nothing about any one of them.

- ``core.jobs``: the beat jobs' loop, due ids in keyset batches shared between runs, one
  writer call per id, the soft time limit honoured (``core.tasks``: their Celery options);
- ``core.admin``: the read-only admin of records of what happened;
- ``core.fragments``: the fragment cache, keyed on the release and every fact shown;
- ``core.formatting``: the one money and date style, and ``core_tags``, its filters;
- ``core.money``: the money bound; ``core.forms``: strict number fields;
  ``core.text``: the check every typed text goes through.

It sits below every app (``tests/test_architecture.py``) and imports none of them: what
depends on an app (the outbox a job's run gathers in, an order's facts in a key) is
passed in by the caller.
"""
