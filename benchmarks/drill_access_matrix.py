"""
Access matrix drill: every URL of the portal × every demo account and anonymous, as
tests/access_matrix.py walks them and judges each cell (docs/DESIGN.md §14). Prints the
table; exits 1 on any surprise.

Runs against a throwaway test database (created, seeded with `seed_demo --force`,
dropped), so it never touches the portal's data:

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/drill_access_matrix.py

(tests/test_access_matrix.py runs the same `run_matrix`, from tests/access_matrix.py, in the
test suite.)
"""

import io
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from tests.access_matrix import run_matrix


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from marketplace.celery import app

    # Cells speak for themselves: no line per 403/405 from Django's loggers or axes.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("django.security").setLevel(logging.ERROR)
    logging.getLogger("axes").setLevel(logging.WARNING)
    # Never publish to a real broker (or the shared filesystem queue): the outbox rows
    # the seed writes just stay pending in the throwaway database.
    app.conf.broker_url = "memory://"
    setup_test_environment()  # locmem email, testserver host
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A database of its own, never another run's test database on the same server.
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"test_access_matrix_{os.getpid()}"
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
        else None
    )
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("seed_demo", force=True, verbosity=0, stdout=io.StringIO())
        result = run_matrix()
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
    sys.exit(1 if result.surprises else 0)


if __name__ == "__main__":
    main()
