# ruff: noqa: S603 - runs the project's own manage.py
"""
The README's screenshots, taken from the demo data in Debian's Chromium.

Migrates a throwaway SQLite database in a temporary folder, loads `seed_demo`, serves
it with `runserver` (DEBUG on, a laptop tool), signs in as each demo account in turn
and saves PNGs into docs/screenshots/ (1280 px wide; one at a phone's 390 px). Nothing
is confirmed, so every run photographs the same demo states. The server and the folder
are gone at the end.

    .venv/bin/python docs/screenshots.py [--port 8340]      (or: make screenshots)

CHROMIUM names the browser (default /usr/bin/chromium); Playwright never downloads one.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshots"
PASSWORD = "marketplace-demo"  # noqa: S105 - the documented demo-only password
WIDTH, MAX_HEIGHT = 1280, 2000  # a long page is cut at MAX_HEIGHT to keep the PNG small
PHONE_WIDTH = 390
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def demo_portal(port: int):
    """A seeded portal on http://127.0.0.1:<port>, stopped and deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        env = dict(
            os.environ,
            ENV_FILE="",  # this script's settings only, not the laptop's .env
            DEBUG="1",
            DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
            REDIS_URL="",
            CELERY_TASK_ALWAYS_EAGER="1",  # no broker: any task runs in the web process
        )
        log = Path(folder, "portal.log")  # what manage.py says, shown only on a failure
        for args in (["migrate", "--no-input"], ["seed_demo"]):
            if manage(args, env, log).wait():
                sys.exit(f"manage.py {args[0]} failed:\n{log.read_text()}")
        server = manage(["runserver", "--noreload", f"127.0.0.1:{port}"], env, log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait()


def manage(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("a") as output:  # the child keeps its own copy of the file
        command = [sys.executable, "manage.py", *args]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)


def wait_for(url: str, server: subprocess.Popen, log: Path, seconds: int = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/accounts/sign-in/", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"The portal did not start on {url}:\n{log.read_text()}")


def sign_in(browser: Browser, url: str, username: str, width: int = WIDTH) -> Page:
    """A fresh browser context (its own cookies) ``width`` px wide, signed in as ``username``."""
    context = browser.new_context(base_url=url, viewport={"width": width, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile("/accounts/sign-in/"))  # signed in, moved on
    return page


def save(page: Page, name: str) -> None:
    path = OUTPUT / f"{name}.png"
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
    page.screenshot(path=path, full_page=True, clip=clip, animations="disabled")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def take_screenshots(browser: Browser, url: str) -> None:
    """Every screenshot of the README, account by account."""
    buyer_screenshots(browser, url)
    seller_screenshots(browser, url)
    staff_screenshots(browser, url)


def buyer_screenshots(browser: Browser, url: str) -> None:
    # buyer: Your Orders, then Cancel Items and its review on the order placed a minute
    # ago (the newest with gel pens), which may still be cancelled at once.
    page = sign_in(browser, url, "buyer")
    page.goto("/your-orders/")
    heading(page, "Your Orders")
    expect(page.get_by_role("article").first).to_be_visible()  # the current orders' cards
    save(page, "your-orders")
    page.get_by_role("article").filter(has_text="Gel ink pens").first.get_by_role(
        "link", name="View order"
    ).click()
    page.get_by_role("link", name="Cancel Items").click()
    heading(page, "Cancel items")
    notebook = page.get_by_role("checkbox", name=re.compile("Dot-grid A5 notebook"))
    notebook.check()
    page.locator(".card").filter(has=notebook).get_by_label("Quantity to cancel").fill("1")
    page.get_by_label("Reason for cancelling").select_option(label="Order created by mistake")
    save(page, "cancel-items")
    page.get_by_role("button", name="Review cancellation").click()
    heading(page, "Review your cancellation")
    save(page, "cancel-review")  # not confirmed: the demo data stays as seeded

    # The same list on a phone: the cards in one column, nothing wider than the screen.
    page = sign_in(browser, url, "buyer", width=PHONE_WIDTH)
    page.goto("/your-orders/")
    heading(page, "Your Orders")
    save(page, "your-orders-phone")


def seller_screenshots(browser: Browser, url: str) -> None:
    # seller: Seller Central's home (what needs attention, account health running amber)
    # and a bulk cancel's review (not confirmed); seller2 has the buyer's pending request
    # and the buyer's message waiting for an answer.
    page = sign_in(browser, url, "seller")
    heading(page, "Seller Central")  # where a seller lands on signing in
    save(page, "seller-central-home")
    page.goto("/seller/orders/")
    page.get_by_role("link", name="Select all on this page").click()
    page.get_by_label("Reason for cancelling").select_option(label="Shipping address undeliverable")
    page.get_by_role("button", name="Review cancellation").click()
    heading(page, "Review your bulk cancellation")
    save(page, "seller-bulk-review")
    page = sign_in(browser, url, "seller2")
    page.goto("/seller/cancellation-requests/")
    heading(page, "Cancellation requests")
    expect(page.get_by_test_id("request").first).to_be_visible()
    save(page, "seller-requests")
    page.goto("/seller/messages/")
    heading(page, "Messages")
    expect(page.get_by_test_id("thread").first).to_be_visible()
    save(page, "seller-messages")


def staff_screenshots(browser: Browser, url: str) -> None:
    # staff: the cases in Django admin, the escalated one waiting for a decision.
    page = sign_in(browser, url, "staff")
    page.goto("/admin/disputes/dispute/")
    page.locator("#toggle-nav-sidebar").click()  # the list needs the width
    expect(page.locator("#result_list")).to_be_visible()
    save(page, "dispute-admin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--port", type=int, default=8340)
    options = parser.parse_args()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with demo_portal(options.port) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        try:
            take_screenshots(browser, url)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
