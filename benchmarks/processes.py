"""What the benchmark scripts share: the PostgreSQL server their throwaway databases live
on, and the gunicorn command they serve the portal with."""

import os
import sys
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent


def postgres_server() -> tuple[str, str, str]:
    """PG_URL (default postgres://root@127.0.0.1:5432) without a trailing slash, its host
    and its user: the URL prefixes each database's name, createdb/dropdb take the rest."""
    pg = os.environ.get("PG_URL", "postgres://root@127.0.0.1:5432").rstrip("/")
    return pg, pg.split("@")[-1].split(":")[0], pg.split("//")[1].split("@")[0]


def gunicorn_command(port: int) -> list[str]:
    """
    The portal under gunicorn as the scripts measure it, warnings only: 2 sync workers, or
    GUNICORN_WORKERS workers of GUNICORN_THREADS threads each (gthread when above 1), to
    compare worker settings in one script.
    """
    threads = int(os.environ.get("GUNICORN_THREADS", "1"))
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "marketplace.wsgi",
        "--workers",
        os.environ.get("GUNICORN_WORKERS", "2"),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    return command


# --- Helpers of the worker-kill, two-sweeps and deploy drills ---------------------------------
def production_env(*, database_url: str, redis_db: int, **extra: str) -> dict[str, str]:
    """
    The environment every drill process runs with: production settings (DEBUG off, a
    random 50+ character SECRET_KEY, no .env), PostgreSQL at ``database_url``, Redis at
    ``redis_db`` of the machine's Redis (the drills use db 11 and 12 only). ``extra``
    adds to or overrides it.
    """
    import secrets

    env = dict(os.environ)
    env.update(
        ENV_FILE="",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="marketplace.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def create_database(name: str) -> str:
    """Create ``name`` on the PG_URL server; return its DATABASE_URL."""
    import subprocess

    pg, host, user = postgres_server()
    subprocess.run(["createdb", "-h", host, "-U", user, name], check=True)  # noqa: S603, S607
    return f"{pg}/{name}"


def drop_database(name: str) -> None:
    """Drop ``name`` even if a killed worker's connection still lingers (--force)."""
    import subprocess

    _pg, host, user = postgres_server()
    subprocess.run(  # noqa: S603
        ["dropdb", "--if-exists", "--force", "-h", host, "-U", user, name],  # noqa: S607
        check=False,
    )


def flush_redis(db: int) -> None:
    import subprocess

    subprocess.run(  # noqa: S603
        ["redis-cli", "-n", str(db), "flushdb"],  # noqa: S607
        check=False,
        stdout=subprocess.DEVNULL,
    )


def celery_worker_command(
    *, name: str, concurrency: int, queues: str = "", include: str = "", loglevel: str = "INFO"
) -> list[str]:
    """
    ``celery -A marketplace worker`` (prefork), named ``name@<host>``, no gossip, mingle or
    heartbeat: for drills whose broker stays up. ``drill_redis`` starts the worker as the
    README does instead: started so, a worker died when the drill cut Redis (kombu's
    reconnect raised AttributeError), where the README's worker reconnects.
    """
    command = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "marketplace",
        "worker",
        "--hostname",
        f"{name}@%h",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if queues:
        command += ["--queues", queues]
    if include:
        command += ["--include", include]
    return command


def print_checks(rows: list[tuple[str, object, object, bool]]) -> bool:
    """A drill's checks as a table (check, expected, found, ok); whether every one passed."""
    cells = [(what, str(expected), str(found), ok) for what, expected, found, ok in rows]
    header = ("check", "expected", "found")
    widths = [min(max(len(row[i]) for row in [header, *cells]), 60) for i in range(3)]

    def line(texts, last: str) -> str:
        columns = (f"{text:<{width}}" for text, width in zip(texts, widths, strict=True))
        return "  ".join([*columns, last])

    print("\n" + line(header, "ok"))
    for *texts, ok in cells:
        print(line(texts, "ok" if ok else "FAILED"))
    return bool(cells) and all(ok for *_texts, ok in cells)


def run_drill(*, db: str, redis_db: int, email_url: str, drill) -> None:
    """
    Run ``drill(env)`` against a migrated throwaway database ``db`` and Redis db
    ``redis_db`` with production settings, print its verdict and exit with it; the
    database is dropped and the Redis db flushed whatever happens.
    """
    import subprocess

    ok = False
    try:
        env = production_env(
            database_url=create_database(db), redis_db=redis_db, EMAIL_URL=email_url
        )
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True
        )
        os.environ.update(env)  # the drill's own process seeds and checks through the ORM
        ok = drill(env)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(db)
        flush_redis(redis_db)
    print("drill passed" if ok else "drill FAILED")
    sys.exit(0 if ok else 1)
