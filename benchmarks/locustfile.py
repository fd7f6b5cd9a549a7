# ruff: noqa: S311 - random picks of pages, not secrets
"""
Load test: buyers browse Your Orders and cancel items, sellers list orders, answer
requests, cancel and confirm shipments, staff resolve cases in the Dispute admin.
Run headless through benchmarks/run_load.sh (gunicorn with DEBUG off, Celery, Redis).

Each user signs in through the real sign-in form and then drives the pages' own forms
(Cancel Items → review → confirm carries the review page's idempotency key). A page
counts as failed unless it is a 200 that is not the sign-in page; a write fails on a
403 or any 5xx (a 400 form error or a redirect with a message is the portal refusing a
race it lost, e.g. two sellers on one order, and counts as an answer).
"""

import json
import os
import random
import re
from html.parser import HTMLParser

from locust import HttpUser, between, task

PASSWORD = "marketplace-demo"  # noqa: S105 - the demo accounts' published password
ORDER_LINK = re.compile(r'href="(/your-orders/\d{3}-\d{7}-\d{4}/)"')
SELLER_ORDER_LINK = re.compile(r'href="(/seller/orders/\d{3}-\d{7}-\d{4}/)"')
APPROVE = re.compile(r'action="(/seller/cancellation-requests/\d+/approve/)"')
CASE_CHANGE = re.compile(r'href="/admin/disputes/dispute/(\d+)/change/')


class Forms(HTMLParser):
    """Each <form>'s action and its inputs' name → value (selects: the first option)."""

    def __init__(self, text):
        super().__init__()
        self.forms, self._select = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self.forms[-1]["fields"].setdefault(attrs["name"], None)
            else:
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select:
            self.forms[-1]["fields"].setdefault(self._select, attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def form(self, action_part="", field=""):
        """The first form whose action contains ``action_part`` or that has ``field``."""
        for form in self.forms:
            if (action_part and action_part in form["action"]) or field in form["fields"]:
                return form
        return None


class Portal(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    username = ""

    def on_start(self):
        # DEBUG is off, so cookies are Secure and the portal believes the proxy header;
        # locust speaks plain HTTP to gunicorn, so keep the cookies anyway.
        self.client.headers.update({"X-Forwarded-Proto": "https"})
        sessions = json.loads(os.environ.get("LOAD_SESSIONS") or "{}")
        if self.username in sessions:
            # run_load.sh signs each account in once: a sign-in costs ~0.5 s of PBKDF2 on
            # these cores, and 50 of them at once would be the whole test.
            host = self.host.split("://", 1)[1].split(":")[0]
            self.client.cookies.set("sessionid", sessions[self.username], domain=host)
            self.page("/your-orders/", "your orders")  # a CSRF cookie for the first form
            return
        page = self.page("/accounts/sign-in/", "sign-in page", signed_in=False)
        self.write(
            "/accounts/sign-in/", page, "sign-in", {"login": self.username, "password": PASSWORD}
        )

    def _keep_cookies(self):
        for cookie in self.client.cookies:
            cookie.secure = False

    def referer(self, path):
        return {"Referer": "https://" + self.host.split("://", 1)[1] + path}

    def page(self, path, name, signed_in=True):
        self._keep_cookies()
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif signed_in and (
                "/accounts/sign-in/" in response.url or "/admin/login/" in response.url
            ):
                response.failure("signed out")
            return response.text

    def write(self, path, page_text, name, data):
        """POST ``data`` with the page's CSRF token; returns the answer's text."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_text or "")
        data = {"csrfmiddlewaretoken": token.group(1) if token else "", **data}
        self._keep_cookies()
        with self.client.post(
            path, data, headers=self.referer(path), name=name, catch_response=True
        ) as response:
            if response.status_code in (0, 403) or response.status_code >= 500:
                response.failure(f"status {response.status_code}")  # 0: connection dropped
            elif response.status_code in (200, 400, 409):  # 409: the order changed since review
                response.success()
            return response.text


class Buyer(Portal):
    weight = 4
    username = "buyer"

    @task(5)
    def your_orders(self):
        self.page("/your-orders/", "your orders")

    @task(3)
    def order_page(self):
        links = ORDER_LINK.findall(self.page("/your-orders/", "your orders"))
        if links:
            self.page(random.choice(links), "order page")

    @task(2)
    def cancel_items(self):
        links = ORDER_LINK.findall(self.page("/your-orders/?tab=open", "your orders"))
        if not links:
            return
        url = random.choice(links) + "cancel/"
        self._keep_cookies()
        with self.client.get(url, name="cancel items", catch_response=True) as response:
            if response.status_code not in (200, 302):
                response.failure(f"status {response.status_code}")
            text = response.text if "/cancel/" in response.url else ""
        form = Forms(text).form("/cancel/")
        lines = [name for name in (form or {"fields": {}})["fields"] if name.startswith("line_")]
        if not lines:
            return
        data = {
            lines[0]: "on",
            lines[0].replace("line_", "qty_"): "1",
            "reason": "created_by_mistake",
            "note": "",
        }
        review = self.write(url, text, "cancel items: review", data)
        confirm = Forms(review).form("/cancel/confirm/")
        if confirm:
            fields = {k: v for k, v in confirm["fields"].items() if v is not None}
            self.write(url + "confirm/", review, "cancel items: confirm", fields)


class Seller(Portal):
    weight = 2
    username = "seller"

    @task(5)
    def seller_orders(self):
        self.page("/seller/orders/", "seller orders")

    @task(2)
    def seller_home(self):
        self.page("/seller/", "seller home")

    @task(2)
    def answer_request(self):
        queue = self.page("/seller/cancellation-requests/", "requests queue")
        actions = APPROVE.findall(queue)
        if actions:
            self.write(actions[0], queue, "approve request", {})

    def open_order(self, status):
        links = SELLER_ORDER_LINK.findall(
            self.page(f"/seller/orders/?status={status}", "seller orders")
        )
        return random.choice(links) if links else None

    @task(1)
    def cancel_order(self):
        order = self.open_order("unshipped")
        if not order:
            return
        text = self.page(order + "cancel/", "seller cancel")
        form = Forms(text).form("/cancel/")
        lines = [n for n in (form or {"fields": {}})["fields"] if n.startswith("line_")]
        if not lines:
            return
        data = {
            lines[0]: "on",
            lines[0].replace("line_", "qty_"): "1",
            "reason": "general_adjustment",
            "note": "load test",
        }
        review = self.write(order + "cancel/", text, "seller cancel: review", data)
        confirm = Forms(review).form("/cancel/confirm/")
        if confirm:
            fields = {k: v for k, v in confirm["fields"].items() if v is not None}
            self.write(order + "cancel/confirm/", review, "seller cancel: confirm", fields)

    @task(1)
    def confirm_shipment(self):
        order = self.open_order("unshipped")
        if not order:
            return
        text = self.page(order + "ship/", "confirm shipment page")
        form = Forms(text).form(field="tracking_number")
        if not form:
            return
        data = {k: v for k, v in form["fields"].items() if k.startswith("line_") and v}
        data |= {"carrier": "UPS", "tracking_number": f"1ZLOAD{random.randrange(10**8)}"}
        self.write(order + "ship/", text, "confirm shipment", data)


class Seller2(Seller):
    username = "seller2"


class Staff(Portal):
    weight = 1
    username = "staff"

    @task(3)
    def dispute_admin(self):
        self.page("/admin/disputes/dispute/", "dispute admin")

    @task(1)
    def resolve_case(self):
        listing = self.page("/admin/disputes/dispute/?status__exact=under_review", "dispute admin")
        cases = CASE_CHANGE.findall(listing)
        if not cases:
            return
        url = f"/admin/disputes/dispute/{random.choice(cases)}/resolve-for-seller/"
        text = self.page(url, "resolve case page")
        self.write(url, text, "resolve case", {"note": "Decided in the load test."})
