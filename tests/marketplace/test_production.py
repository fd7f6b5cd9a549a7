"""The README's production steps serve pages: static files collected, DEBUG off."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.marketplace.test_settings import PRODUCTION_KEY, SETTINGS_VARIABLES

BASE_DIR = Path(__file__).resolve().parents[2]

FETCH = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="shop.example.com")
pages = {}
for path in ["/", "/accounts/sign-in/"]:
    response = client.get(path, secure=True)
    pages[path] = {"status": response.status_code, "body": response.content.decode()}
css = client.get(pages["/"]["body"].split('href="')[1].split('"')[0], secure=True)
pages["css"] = {"status": css.status_code, "type": css.get("Content-Type", "")}
print(json.dumps(pages))
"""


def production_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(
        ENV_FILE="",
        DEBUG="0",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="marketplace.settings",
    )
    return env


def run(args, env):
    return subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False, timeout=300
    )


def test_collectstatic_and_pages_with_debug_off(tmp_path):
    """
    Given production settings (DEBUG=0, manifest static storage),
    when collectstatic runs as the README says and a page is fetched,
    then the manifest is written and the pages answer 200 with hashed static URLs
    that whitenoise serves.
    """
    env = production_env(tmp_path)
    for step in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        result = run([sys.executable, "manage.py", *step], env)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()

    result = run([sys.executable, "-c", FETCH], env)

    assert result.returncode == 0, result.stderr
    pages = json.loads(result.stdout)
    for path in ["/", "/accounts/sign-in/"]:
        assert pages[path]["status"] == 200, pages[path]["body"][:500]
    body = pages["/"]["body"]
    assert "/static/vendor/bootstrap/bootstrap.min." in body
    assert "/static/vendor/bootstrap/bootstrap.min.css" not in body  # hashed name
    assert pages["css"] == {"status": 200, "type": 'text/css; charset="utf-8"'}


def test_no_vendored_file_points_at_a_missing_source_map():
    """The manifest storage follows sourceMappingURL comments: each must name a file we ship."""
    for path in (BASE_DIR / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        if "sourceMappingURL=" in text:
            name = text.rsplit("sourceMappingURL=", 1)[1].split()[0].rstrip("*/")
            assert (path.parent / name).exists(), f"{path} points at missing {name}"
