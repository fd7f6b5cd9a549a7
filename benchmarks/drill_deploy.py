# ruff: noqa: S603, S607 - runs the project's own tools (git, manage.py, gunicorn)
"""
Deploy drill: production settings pass ``check --deploy``; a fresh clone serves safely.

A fresh ``git clone`` of the repository's HEAD (committed work only) in a temporary
directory, run with this checkout's ``.venv`` Python, on production settings: DEBUG off,
a random 67-character SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no .env, SECURE_SSL_REDIRECT
left at its default (on), a throwaway PostgreSQL database (``drill_deploy_<pid>``,
dropped at the end) and Redis db 12 (flushed at the end). Steps, as an operator deploys:

1. ``manage.py check --deploy --fail-level WARNING`` (must be clean);
2. ``migrate``, ``collectstatic``, ``createsuperuser --no-input`` and one buyer account;
3. gunicorn (2 sync workers) on 127.0.0.1:PORT; the clients send
   ``X-Forwarded-Proto: https`` as the TLS proxy would (SECURE_PROXY_SSL_HEADER).

Then over HTTP: the home page, a plain-HTTP request (redirected to HTTPS), a static
file (hashed name, long cache), a 404 page (the portal's, not Django's debug page),
sign-in, a signed-in page, admin login, the login lockout (allauth's throttle after 5
failures for a username, django-axes after AXES_FAILURE_LIMIT: either way the right
password is then refused, for that username only), the security headers and the
session and CSRF cookie flags.

Prints a table check → expected → found → ok; exits 1 if any check fails.

    .venv/bin/python benchmarks/drill_deploy.py [--port 8331]
"""

import argparse
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    PYTHON,
    create_database,
    drop_database,
    flush_redis,
    gunicorn_command,
    print_checks,
    production_env,
)

REDIS_DB = 12
ADMIN_LOGIN = "/admin/login/?next=/admin/"  # where /admin/ sends a signed-out browser
FAILURE_LIMIT = 10  # settings.AXES_FAILURE_LIMIT's default; the drill reads the real one
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class Browser:
    """A cookie-keeping HTTP client that speaks to gunicorn as the TLS proxy would."""

    def __init__(self, port: int, https: bool = True):
        self.port, self.https = port, https
        self.cookies: dict[str, str] = {}
        self.set_cookies: dict[str, str] = {}  # name -> its last Set-Cookie header

    def request(self, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        origin = f"https://127.0.0.1:{self.port}"
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + path,
            }
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.msg.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.set_cookies[name] = header
            if value and "max-age=0" not in header.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        conn.close()
        return response.status, response.msg, text

    def sign_in(self, path: str, username: str, password: str):
        """
        GET the form, POST it back with its hidden fields (CSRF token, next). The portal's
        sign-in (allauth) names its field ``login``, Django admin's ``username``.
        """
        status, _headers, text = self.request("GET", path)
        fields = dict(HIDDEN.findall(text))
        if status != 200 or "csrfmiddlewaretoken" not in fields:
            return status, None, text
        name = "username" if 'name="username"' in text else "login"
        return self.request("POST", path, fields | {name: username, "password": password})


def cookie_flags(header: str | None) -> str:
    if not header:
        return "not set"
    parts = [part.strip().lower() for part in header.split(";")[1:]]
    flags = ["Secure" if "secure" in parts else "", "HttpOnly" if "httponly" in parts else ""]
    same_site = next((p.split("=", 1)[1] for p in parts if p.startswith("samesite=")), "-")
    return " ".join(flag for flag in flags if flag) + f" SameSite={same_site.capitalize()}"


def run(args, clone: Path, env: dict, results: list) -> None:
    def row(what, expected, found, ok=None):
        ok = (str(expected) == str(found)) if ok is None else ok
        results.append((what, str(expected), str(found), ok))
        return ok

    def manage(*command, **extra):
        started = time.monotonic()
        done = subprocess.run(
            [PYTHON, "manage.py", *command],
            cwd=clone,
            env=env | extra,
            capture_output=True,
            text=True,
        )
        return done, time.monotonic() - started

    head = subprocess.run(
        ["git", "-C", str(clone), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    print(f"fresh clone of HEAD {head[:70]}")
    imported = subprocess.run(
        [
            PYTHON,
            "-c",
            "import sys, marketplace, orders, cancellations, notifications; "
            "print(all(m.__file__.startswith(sys.argv[1]) for m in "
            "(marketplace, orders, cancellations, notifications)))",
            str(clone),
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
    )
    row("code imported from the clone", "True", imported.stdout.strip() or imported.stderr[-80:])

    done, seconds = manage("check", "--deploy", "--fail-level", "WARNING")
    output = " ".join((done.stdout + done.stderr).split())
    row(
        "check --deploy --fail-level WARNING",
        "exit 0, no issues",
        f"exit {done.returncode}, " + ("no issues" if "no issues" in output else output[:300]),
    )
    bare = {key: value for key, value in env.items() if key != "EMAIL_URL"}
    done = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=clone,
        env=bare,
        capture_output=True,
        text=True,
    )
    found = sorted(set(re.findall(r"\((\w+\.[EW]\d+)\)", done.stdout + done.stderr)))
    row(
        "check --deploy, EMAIL_URL unset (console mail)",
        "exit 1, only mail.E001",
        f"exit {done.returncode}, {', '.join(found) or 'no issues'}",
        done.returncode == 1 and found == ["mail.E001"],
    )
    for step in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        done, seconds = manage(*step)
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
        row(f"manage.py {step[0]} ({seconds:.0f} s)", "exit 0", f"exit {done.returncode}")
        if done.returncode:
            print(done.stdout[-2000:], done.stderr[-2000:])
            return
        print(f"{step[0]}: {tail[0][:100]}")
    password, admin_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    done, _s = manage(
        "createsuperuser",
        "--no-input",
        DJANGO_SUPERUSER_USERNAME="drill-admin",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=admin_password,
    )
    row("createsuperuser --no-input", "exit 0", f"exit {done.returncode}")
    done, _s = manage(
        "shell",
        "-c",
        "from django.conf import settings; from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('drill-buyer', 'buyer@example.com', {password!r}); "
        "import json; print(json.dumps({'limit': settings.AXES_FAILURE_LIMIT, "
        "'ssl_header': bool(settings.SECURE_PROXY_SSL_HEADER)}))",
    )
    row("a buyer account (manage.py shell)", "exit 0", f"exit {done.returncode}")
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    limit = facts["limit"]

    out = clone / "var"
    out.mkdir(exist_ok=True)
    with (out / "gunicorn.log").open("w") as log:
        server = subprocess.Popen(
            gunicorn_command(args.port), cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, text = Browser(args.port).request("GET", "/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    row("gunicorn starts", "serving", "no answer")
                    return
                time.sleep(0.3)
        row("GET / (X-Forwarded-Proto: https)", 200, status)

        csp = headers.get("Content-Security-Policy", "")
        row(
            "Content-Security-Policy",
            "default-src 'self'; script nonce; frame-ancestors 'none'",
            csp[:90] + ("…" if len(csp) > 90 else ""),
            "default-src 'self'" in csp and "'nonce-" in csp and "frame-ancestors 'none'" in csp,
        )
        row(
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains; preload",
            headers.get("Strict-Transport-Security"),
        )
        row("X-Frame-Options", "DENY", headers.get("X-Frame-Options"))
        row("X-Content-Type-Options", "nosniff", headers.get("X-Content-Type-Options"))
        row("Referrer-Policy", "same-origin", headers.get("Referrer-Policy"))
        row("Cross-Origin-Opener-Policy", "same-origin", headers.get("Cross-Origin-Opener-Policy"))

        status, headers, _text = Browser(args.port, https=False).request("GET", "/")
        row(
            "plain HTTP (no proxy header) redirected",
            f"301 https://127.0.0.1:{args.port}/",
            f"{status} {headers.get('Location')}",
        )

        manifest = json.loads((clone / "staticfiles" / "staticfiles.json").read_text())["paths"]
        name = next(
            (n for n in sorted(manifest) if n.endswith(".css")),
            next(iter(sorted(manifest))),
        )
        status, headers, _text = Browser(args.port).request("GET", f"/static/{manifest[name]}")
        cache = headers.get("Cache-Control", "")
        row(
            f"static file /static/{manifest[name][:40]}",
            "200, cached 1 year, immutable",
            f"{status}, {cache}",
            status == 200 and "immutable" in cache and "max-age=315360000" in cache,
        )

        status, _headers, text = Browser(args.port).request("GET", "/no-such-page/")
        row(
            "404 page",
            "404, the portal's page, no debug",
            f"{status}, "
            + ("portal's page" if "We could not find that page" in text else "another page")
            + (", DEBUG PAGE" if "URLconf" in text or "Traceback" in text else ", no debug"),
            status == 404 and "We could not find that page" in text and "URLconf" not in text,
        )

        buyer = Browser(args.port)
        status, headers, _text = buyer.sign_in("/accounts/sign-in/", "drill-buyer", password)
        row("sign-in, right password", "302 /", f"{status} {headers and headers.get('Location')}")
        status, _headers, text = buyer.request("GET", "/your-orders/")
        row("signed-in page /your-orders/", 200, status)
        row(
            "session cookie flags",
            "Secure HttpOnly SameSite=Lax",
            cookie_flags(buyer.set_cookies.get("sessionid")),
        )
        row(
            "CSRF cookie flags",
            "Secure HttpOnly SameSite=Lax",
            cookie_flags(buyer.set_cookies.get("csrftoken")),
        )

        admin = Browser(args.port)
        status, headers, _text = admin.sign_in(ADMIN_LOGIN, "drill-admin", admin_password)
        location = headers and headers.get("Location")
        row("admin login", "302 /admin/", f"{status} {location}")
        status, _headers, text = admin.request("GET", "/admin/")
        row(
            "admin index",
            "200, Site administration",
            f"{status}, " + ("Site administration" if "Site administration" in text else "?"),
            status == 200 and "Site administration" in text,
        )

        # Two locks stand in front of the password: allauth's throttle (ACCOUNT_RATE_LIMITS'
        # login_failed, 5 failures for one username in 5 minutes: the form says "Too many
        # failed login attempts", 200) and axes (AXES_FAILURE_LIMIT, a 429 page), which
        # the throttle reaches first on the portal's sign-in. Either refuses the right password.
        attacker = Browser(args.port)
        statuses, refusals = [], 0
        for _ in range(limit):
            status, _headers, text = attacker.sign_in("/accounts/sign-in/", "drill-buyer", "wrong")
            statuses.append(status)
            refusals += status == 429 or "Too many failed" in text
        shown = ", ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses)))
        row(
            f"{limit} wrong passwords (AXES_FAILURE_LIMIT={limit})",
            "none signs in; the later ones refused as too many",
            f"{shown}; {refusals} refused as too many; "
            + ("session" if "sessionid" in attacker.cookies else "no session"),
            set(statuses) <= {200, 429} and refusals >= 1 and "sessionid" not in attacker.cookies,
        )
        status, headers, text = attacker.sign_in("/accounts/sign-in/", "drill-buyer", password)
        refused = status == 429 or "Too many failed" in text
        row(
            "then the right password: refused",
            "429 or too many, no session",
            f"{status}, {'too many' if refused else 'not refused'}, "
            + ("session" if "sessionid" in attacker.cookies else "no session"),
            refused and "sessionid" not in attacker.cookies,
        )
        other = Browser(args.port)
        status, headers, _text = other.sign_in(ADMIN_LOGIN, "drill-admin", admin_password)
        row(
            "another account, same address: still signs in",
            "302 /admin/",
            f"{status} {headers and headers.get('Location')}",
        )
        gunicorn_log = (out / "gunicorn.log").read_text(errors="replace")
        row("gunicorn log: tracebacks", 0, gunicorn_log.count("Traceback"))
    finally:
        server.terminate()
        server.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--port", type=int, default=8331)
    args = parser.parse_args()

    db = f"drill_deploy_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="drill-deploy-"))
    clone = work / "clone"
    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results: list[tuple[str, str, str, bool]] = []
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        env = production_env(
            database_url=create_database(db),
            redis_db=REDIS_DB,
            # Production mail: never contacted here (nothing in the drill sends email).
            EMAIL_URL="smtp+tls://drill:drill-password@smtp.example.com:587",
            STATIC_ROOT=str(clone / "staticfiles"),
        )
        env.pop("SECURE_SSL_REDIRECT", None)  # production's default: on
        env.pop("AXES_ENABLED", None)
        print(
            f"database {db}, Redis db {REDIS_DB}, clone in {clone}, SECRET_KEY of "
            f"{len(env['SECRET_KEY'])} random characters"
        )
        run(args, clone, env, results)
    finally:
        drop_database(db)
        flush_redis(REDIS_DB)
        subprocess.run(["rm", "-rf", str(work)], check=False)

    print(
        f"\nDeploy drill, {started_at}, {os.cpu_count()} cores; fresh clone, DEBUG off, "
        f"gunicorn 2 sync workers on 127.0.0.1:{args.port}, PostgreSQL, Redis db {REDIS_DB}"
    )
    ok = print_checks(results)
    print("drill passed" if ok else "drill FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
