"""What the benchmark scripts share: the PostgreSQL server their throwaway databases live
on, and the gunicorn command they serve the portal with."""

import os
import sys

PYTHON = sys.executable


def postgres_server() -> tuple[str, str, str]:
    """PG_URL (default postgres://root@127.0.0.1:5432) without a trailing slash, its host
    and its user: the URL prefixes each database's name, createdb/dropdb take the rest."""
    pg = os.environ.get("PG_URL", "postgres://root@127.0.0.1:5432").rstrip("/")
    return pg, pg.split("@")[-1].split(":")[0], pg.split("//")[1].split("@")[0]


def gunicorn_command(port: int) -> list[str]:
    """The portal under gunicorn as the scripts measure it: 2 sync workers, warnings only."""
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "marketplace.wsgi",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
