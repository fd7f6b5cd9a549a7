"""
The access matrix: every URL of the portal × every demo account and anonymous.

Reads every URL pattern from the resolver (recursively, so new ones are included),
fills its converters with real objects of the demo data (an order of `buyer` sold by
`seller`, a listing of `seller`, a cancellation request and a case of `buyer`), and
for each account GETs it and POSTs to it without a CSRF token. Each cell is compared
with the expectation written below per URL name (docs/DESIGN.md §14); a URL without an
expectation, an unexpected status, a CSRF-less POST that is not 403 (but for the few
URLs that check a signature instead, SIGNED below), or any change to the domain's
tables from these requests is a surprise.

tests/test_access_matrix.py runs `run_matrix` in the test suite;
benchmarks/drill_access_matrix.py runs it on a throwaway database and prints the table.
"""

import re
from dataclasses import dataclass, field

ACCOUNTS = ["anon", "buyer", "buyer2", "seller", "seller2", "staff"]
SELLERS = {"seller", "seller2"}

# Outcomes, as the table prints them.
OK = "200"
MOVED = "302"  # a redirect somewhere other than a sign-in page (e.g. empty cart → cart)
LOGIN = "login"  # 302 to the portal's sign-in page
ADMIN_LOGIN = "adm-login"  # 302 to the admin's sign-in page
NOT_ALLOWED = "405"
FORBIDDEN = "403"
NOT_FOUND = "404"
PAGE = {OK, MOVED}

# URLs that another party's servers POST to, signed instead of carrying a CSRF token:
# what an unsigned POST gets there. Stripe's webhook is a 404 while the Stripe gateway
# is off (the tests' default); with it on, an unsigned POST is a 400.
SIGNED = {"payments:stripe_webhook": NOT_FOUND}


# --- Expectations: who may see what (docs/DESIGN.md §14) -----------------------------------
def public():
    """Anyone browses."""
    return {account: PAGE for account in ACCOUNTS}


def signed_in(get=PAGE):
    """Any signed-in user; anonymous is sent to sign in."""
    return {account: ({LOGIN} if account == "anon" else get) for account in ACCOUNTS}


def entrance():
    """A page for signing in or up (django-allauth's): anonymous uses it; a signed-in user
    is sent on to where they start, as allauth does."""
    return {account: {OK} if account == "anon" else {MOVED} for account in ACCOUNTS}


def post_only_signed_in():
    return signed_in(get={NOT_ALLOWED})


def buyer_of(owner):
    """The object's buyer only; anyone else signed in gets 404."""
    return {
        account: {LOGIN} if account == "anon" else PAGE if account == owner else {NOT_FOUND}
        for account in ACCOUNTS
    }


def seller_area(get=PAGE):
    """Seller Central pages of the signed-in seller's own store."""
    return {
        account: {LOGIN} if account == "anon" else get if account in SELLERS else {FORBIDDEN}
        for account in ACCOUNTS
    }


def seller_of(owner):
    """The object's seller only: another seller 404, a non-seller 403."""
    cells = seller_area()
    for account in SELLERS - {owner}:
        cells[account] = {NOT_FOUND}
    return cells


def post_only_seller():
    """A POST-only Seller Central URL: GET is 405 for sellers (nothing looked up, nothing done)."""
    return seller_area(get={NOT_ALLOWED})


def party_of(buyer, seller):
    """A Resolution Center case: its buyer and its seller; anyone else 404."""
    return {
        account: {LOGIN}
        if account == "anon"
        else PAGE
        if account in (buyer, seller)
        else {NOT_FOUND}
        for account in ACCOUNTS
    }


def admin_page():
    """Django admin: staff only; everyone else goes to the admin's sign-in page.
    A staff cell may be 403/404 (a read-only model's add or delete page, an object
    without a public URL): the design question here is who gets in, not what staff may do."""
    return {
        account: {OK, MOVED, FORBIDDEN, NOT_FOUND} if account == "staff" else {ADMIN_LOGIN}
        for account in ACCOUNTS
    }


def expectations(objects):
    """URL name → {account: allowed outcomes of a GET}, for the objects the URLs name."""
    order, case = objects["order"], objects["case"]
    return {
        # storefront
        "home": public(),
        "login": entrance(),
        "logout": {account: {NOT_ALLOWED} for account in ACCOUNTS},  # POST-only
        # Product photos: none is served with SERVE_MEDIA off (the tests' setting).
        "media": {account: {NOT_FOUND} for account in ACCOUNTS},
        # Accounts (django-allauth, docs/DESIGN.md §15). Its names for signing in and out
        # are the portal's pages; its addresses for them send there.
        "account_login": entrance(),
        "account_logout": {account: {NOT_ALLOWED} for account in ACCOUNTS},
        "allauth_login_address": {account: {LOGIN} for account in ACCOUNTS},
        "allauth_logout_address": {account: {MOVED} for account in ACCOUNTS},
        "account_signup": entrance(),
        "account_inactive": public(),
        "account_email_verification_sent": public(),
        "account_confirm_email": public(),  # a stale key: the page says so, nothing changes
        "account_reset_password": public(),
        "account_reset_password_done": public(),
        "account_reset_password_from_key": public(),
        "account_reset_password_from_key_done": public(),
        "account_email": signed_in(),
        "account_change_password": signed_in(),
        "account_set_password": signed_in(get={MOVED}),  # has a password: sent to change it
        "account_reauthenticate": signed_in(),
        # Sign-in and reauthentication by emailed code are off: refused, or sent on.
        "account_request_reauthentication_code": signed_in(get={FORBIDDEN}),
        "account_confirm_reauthentication_code": signed_in(get={FORBIDDEN}),
        "account_confirm_login_code": signed_in(get={MOVED}),
        "storefront:shop": public(),
        "storefront:listing": public(),
        "storefront:store": public(),
        "storefront:cart": signed_in(),
        "storefront:cart_add": post_only_signed_in(),
        "storefront:cart_remove": post_only_signed_in(),
        "storefront:checkout": signed_in(),
        "storefront:order_placed": signed_in(),
        # Stripe Elements' card setup: POST only, from the checkout page's script.
        "storefront:card_setup": post_only_signed_in(),
        # Your Orders
        "orders:your_orders": signed_in(),
        # 3-D Secure: orders named in its query (none here: sent on to Your Orders).
        "orders:confirm_payment": signed_in(),
        "orders:order_detail": buyer_of(order["buyer"]),
        "orders:revise_payment": buyer_of(order["buyer"]),
        "orders:order_message": post_only_signed_in(),
        "cancellations:cancel_items": buyer_of(order["buyer"]),
        "cancellations:confirm": post_only_signed_in(),
        "cancellations:withdraw_request": post_only_signed_in(),
        # Returns (the buyer's pages; the seller's are Seller Central's).
        "returns:return_items": buyer_of(order["buyer"]),
        "returns:confirm": post_only_signed_in(),
        "returns:detail": buyer_of(objects["return"]["buyer"]),
        "returns:tracking": post_only_signed_in(),
        "returns:withdraw": post_only_signed_in(),
        # Seller Central
        "sellercentral:home": seller_area(),
        # A customer without a store opens one here (the demo buyers' emails are
        # confirmed); a seller is sent on to Seller Central.
        "sellercentral:start": {
            account: {LOGIN} if account == "anon" else {MOVED} if account in SELLERS else {OK}
            for account in ACCOUNTS
        },
        "sellercentral:store": seller_area(),
        "sellercentral:orders": seller_area(),
        "sellercentral:order": seller_of(order["seller"]),
        "sellercentral:start_preparing": post_only_seller(),
        "sellercentral:confirm_shipment": seller_of(order["seller"]),
        "sellercentral:order_message": post_only_seller(),
        "sellercentral:messages": seller_area(),
        "sellercentral:cancel_order": seller_of(order["seller"]),
        "sellercentral:cancel_items": seller_of(order["seller"]),
        "sellercentral:confirm_cancel": post_only_seller(),
        "sellercentral:bulk_cancel": post_only_seller(),
        "sellercentral:bulk_confirm_cancel": post_only_seller(),
        "sellercentral:requests": seller_area(),
        "sellercentral:approve_request": post_only_seller(),
        "sellercentral:decline_request": post_only_seller(),
        "sellercentral:returns": seller_area(),
        "sellercentral:return": seller_of(objects["return"]["seller"]),
        "sellercentral:authorize_return": post_only_seller(),
        "sellercentral:close_return": post_only_seller(),
        "sellercentral:receive_return": post_only_seller(),
        "catalog:inventory": seller_area(),
        "catalog:inventory_edit": seller_of(objects["listing"]["seller"]),
        "catalog:listing_create": seller_area(),
        "catalog:listing_edit": seller_of(objects["listing"]["seller"]),
        "catalog:photo_move": post_only_seller(),
        "catalog:photo_remove": post_only_seller(),
        # Resolution Center
        "disputes:case_list": signed_in(),
        "disputes:open_case": buyer_of(order["buyer"]),
        "disputes:case_detail": party_of(case["buyer"], case["seller"]),
        "disputes:reply": post_only_signed_in(),
        "disputes:offer": post_only_signed_in(),
        "disputes:accept_offer": post_only_signed_in(),
        "disputes:withdraw": post_only_signed_in(),
        "disputes:escalate": post_only_signed_in(),
        # The account page: each person's own; another person's address is a 404.
        "accounts:home": signed_in(),
        "accounts:name": post_only_signed_in(),
        "accounts:time_zone": post_only_signed_in(),
        "accounts:address_add": post_only_signed_in(),
        "accounts:address_edit": buyer_of(objects["address"]["owner"]),
        "accounts:address_delete": post_only_signed_in(),
        "accounts:address_default": post_only_signed_in(),
        "accounts:close": signed_in(),
        # Django admin: its sign-in page is open (staff are sent on to the index),
        # signing out is POST-only; every other admin:* URL is admin_page().
        "admin:login": {account: {MOVED} if account == "staff" else {OK} for account in ACCOUNTS},
        # (Django's admin sends a non-staff visitor of its sign-out URL to the admin index.)
        "admin:logout": {
            account: {NOT_ALLOWED} if account == "staff" else {MOVED} for account in ACCOUNTS
        },
        "admin:<catch-all>": admin_page(),
        # Stripe's webhook: POST only, for Stripe's servers (signed, see SIGNED).
        "payments:stripe_webhook": {account: {NOT_ALLOWED} for account in ACCOUNTS},
    }


# --- Walking the resolver ------------------------------------------------------------------
@dataclass
class Route:
    name: str  # namespaced URL name, or admin:<catch-all>
    pattern: str
    params: list[str]
    callback: object = None


@dataclass
class Cell:
    get: str
    post: str
    surprise: str = ""


@dataclass
class Result:
    rows: list[tuple[Route, str, dict[str, Cell]]] = field(default_factory=list)
    surprises: list[str] = field(default_factory=list)


def walk(resolver, namespace="", prefix="", params=()):
    """Every URL pattern under ``resolver``, with its namespaced name and parameters."""
    from django.urls import URLPattern, URLResolver

    for entry in resolver.url_patterns:
        groups = list(params) + list(entry.pattern.regex.groupindex)
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, inner, route, groups)
        elif isinstance(entry, URLPattern):
            # Unnamed patterns (admin's old-style <object_id>/ redirects) by their route.
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<{route}>"
            yield Route(name, route, groups, entry.callback)


def demo_objects():
    """The demo rows whose ids fill the URLs, and who owns each."""
    from accounts.models import Address
    from cancellations.models import CancellationRequest
    from catalog.models import Listing, ListingPhoto
    from disputes.models import Dispute
    from orders.models import Order, OrderStatus
    from returns.models import ReturnRequest

    orders = Order.objects.filter(buyer__username="buyer", seller__user__username="seller")
    order = (
        orders.filter(status=OrderStatus.UNSHIPPED).order_by("pk").first()
        or orders.order_by("pk").first()
    )
    listing = Listing.objects.filter(seller__user__username="seller").order_by("pk").first()
    photo = ListingPhoto.objects.filter(listing=listing).order_by("pk").first()
    request = (
        CancellationRequest.objects.filter(order__buyer__username="buyer")
        .select_related("order__seller__user")
        .order_by("pk")
        .first()
    )
    case = (
        Dispute.objects.filter(buyer__username="buyer")
        .select_related("order__seller__user")
        .order_by("pk")
        .first()
    )
    address = Address.objects.filter(user__username="buyer").order_by("pk").first()
    a_return = (
        ReturnRequest.objects.filter(buyer__username="buyer")
        .select_related("order__seller__user")
        .order_by("pk")
        .first()
    )
    missing = [
        n
        for n, o in [
            ("order", order),
            ("listing", listing),
            ("photo", photo),
            ("request", request),
            ("case", case),
            ("address", address),
            ("return", a_return),
        ]
        if o is None
    ]
    if missing:
        raise RuntimeError(f"seed_demo left no demo {', '.join(missing)}")
    return {
        "order": {"pk": order.pk, "number": order.number, "buyer": "buyer", "seller": "seller"},
        "listing": {"pk": listing.pk, "seller": "seller", "store": listing.seller_id},
        "photo": {"pk": photo.pk, "seller": "seller"},
        "request": {
            "pk": request.pk,
            "number": request.order.number,
            "seller": request.order.seller.user.username,
        },
        "case": {
            "pk": case.pk,
            "buyer": "buyer",
            "seller": case.order.seller.user.username,
        },
        "address": {"pk": address.pk, "owner": "buyer"},
        "return": {
            "pk": a_return.pk,
            "buyer": "buyer",
            "seller": a_return.order.seller.user.username,
        },
    }


def admin_object_id(name):
    """The pk of some row of the model an admin URL name is about (admin:app_model_action)."""
    from django.apps import apps
    from django.contrib import admin

    for model in admin.site._registry:
        stem = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(stem):
            row = apps.get_model(model._meta.label).objects.order_by("pk").first()
            return "1" if row is None else str(row.pk)  # an empty table: a missing row
    return None


def url_for(route, objects):
    """The URL of ``route`` with real ids, or None if a parameter cannot be filled."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from orders.models import Order

    if route.name == "admin:<catch-all>":
        return "/admin/no-such-page/"
    if route.name.startswith("admin:<"):
        # An unnamed admin pattern such as admin/orders/order/<path:object_id>/.
        model_name = "admin:" + "_".join(route.pattern.split("/")[1:3]) + "_change"
        object_id = admin_object_id(model_name)
        if object_id is None or route.params != ["object_id"]:
            return None
        return "/" + re.sub(r"<[^>]+>", object_id, route.pattern)
    kwargs = {}
    for param in route.params:
        if param == "number":
            source = "request" if "request_id" in route.params else "order"
            kwargs[param] = objects[source]["number"]
        elif param == "request_id":
            kwargs[param] = objects["request"]["pk"]
        elif param == "return_id":
            kwargs[param] = objects["return"]["pk"]
        elif param == "pk" and route.name.startswith("accounts:"):
            kwargs[param] = objects["address"]["pk"]
        elif param == "pk" and route.name.startswith("returns:"):
            kwargs[param] = objects["return"]["pk"]
        elif param == "pk" and route.name.startswith("disputes:"):
            kwargs[param] = objects["case"]["pk"]
        elif param == "pk" and route.name.startswith("catalog:photo_"):
            kwargs[param] = objects["photo"]["pk"]
        elif param == "pk" and (
            route.name.startswith("catalog:") or route.name == "storefront:listing"
        ):
            kwargs[param] = objects["listing"]["pk"]
        elif param == "pk" and route.name == "storefront:store":
            kwargs[param] = objects["listing"]["store"]
        elif param == "id" and route.name == "admin:auth_user_password_change":
            kwargs[param] = get_user_model().objects.get(username="buyer").pk
        elif param == "key":
            kwargs[param] = "no-such-key"  # an email confirmation or a reset link gone stale
        elif param == "uidb36":
            kwargs[param] = "0"
        elif param == "path":
            kwargs[param] = "no-such-photo.png"
        elif param == "app_label":
            kwargs[param] = "orders"
        elif param == "content_type_id":
            kwargs[param] = ContentType.objects.get_for_model(Order).pk
            kwargs["object_id"] = objects["order"]["pk"]
        elif param == "object_id" and "object_id" not in kwargs:
            kwargs[param] = admin_object_id(route.name)
            if kwargs[param] is None:
                return None
        elif param not in kwargs:
            return None
    return reverse(route.name, kwargs=kwargs)


def outcome(response):
    """A response as the table prints it."""
    from django.conf import settings
    from django.shortcuts import resolve_url

    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if location.startswith(resolve_url(settings.LOGIN_URL)):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        return MOVED
    return str(response.status_code)


def fingerprint():
    """Row counts and a digest of every status/stock column of the domain's tables."""
    from django.apps import apps
    from django.db.models import Max

    state = []
    apps_ = (
        "accounts",
        "catalog",
        "orders",
        "cancellations",
        "returns",
        "payments",
        "disputes",
        "notifications",
    )
    for label in apps_:
        for model in apps.get_app_config(label).get_models():
            columns = [
                f.name
                for f in model._meta.concrete_fields
                if f.name
                in (
                    "status",
                    "stock",
                    "is_active",
                    "quantity_cancelled",
                    "quantity_shipped",
                    "attempts",
                    "delivered_at",
                    "is_default",
                    "time_zone",
                    "closed_at",
                )
            ]
            rows = model.objects.aggregate(n=Max("pk"))
            state.append((model._meta.label, model.objects.count(), rows["n"]))
            if columns:
                state.append(hash(tuple(model.objects.order_by("pk").values_list(*columns))))
    return state


def run_matrix(verbose=True):
    """Run every cell; returns a Result (rows and surprises). Needs a seeded database."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import get_resolver

    users = {u.username: u for u in get_user_model().objects.filter(username__in=ACCOUNTS)}
    missing = set(ACCOUNTS) - {"anon"} - set(users)
    if missing:
        raise RuntimeError(f"demo accounts missing: {sorted(missing)} (run seed_demo)")
    clients = {}
    for account in ACCOUNTS:
        client = Client(enforce_csrf_checks=True, HTTP_X_FORWARDED_PROTO="https", secure=True)
        if account != "anon":
            client.force_login(users[account])
        clients[account] = client

    objects = demo_objects()
    expected = expectations(objects)
    result = Result()
    seen = set()
    for route in walk(get_resolver()):
        if route.name.startswith("admin:<") and re.search(r"\(\?P<url>", route.pattern):
            route.name = "admin:<catch-all>"
        if route.name in seen:
            continue
        seen.add(route.name)
        cells_expected = expected.get(route.name)
        if cells_expected is None and route.name.startswith("admin:"):
            cells_expected = admin_page()
        if cells_expected is None:
            result.surprises.append(
                f"{route.name} ({route.pattern}): no expectation written for this URL name "
                "in benchmarks/drill_access_matrix.py expectations()"
            )
            continue
        url = url_for(route, objects)
        if url is None:
            result.surprises.append(
                f"{route.name} ({route.pattern}): cannot fill parameters {route.params}"
            )
            continue
        cells = {}
        before = fingerprint()
        for account in ACCOUNTS:
            try:
                got = outcome(clients[account].get(url))
            except Exception as error:  # a 500: the test client re-raises the view's error
                got = f"500 {type(error).__name__}: {error}"
            try:
                posted = outcome(clients[account].post(url, {}))
            except Exception as error:
                posted = f"500 {type(error).__name__}: {error}"
            cell = Cell(got, posted)
            problems = []
            if got not in cells_expected[account]:
                problems.append(f"GET {got}, expected {'/'.join(sorted(cells_expected[account]))}")
            if posted != SIGNED.get(route.name, FORBIDDEN):
                problems.append(
                    f"POST without CSRF token {posted}, expected "
                    f"{SIGNED.get(route.name, FORBIDDEN)}"
                )
            if problems:
                cell.surprise = "; ".join(problems)
                result.surprises.append(f"{url} [{route.name}] as {account}: {cell.surprise}")
            cells[account] = cell
        if fingerprint() != before:
            result.surprises.append(
                f"{url} [{route.name}]: GET/POST without CSRF changed the domain's tables"
            )
        result.rows.append((route, url, cells))
    if verbose:
        print_table(result, objects)
    return result


def print_table(result, objects):
    print(
        f"objects: order {objects['order']['number']} (buyer → seller), listing "
        f"{objects['listing']['pk']} (seller), request {objects['request']['pk']} "
        f"(on {objects['request']['number']}, {objects['request']['seller']}), case "
        f"{objects['case']['pk']} (buyer ↔ {objects['case']['seller']})"
    )
    print("cells: GET outcome (POST without CSRF token is 403 everywhere unless marked !)")
    width = min(48, max(len(route.name) for route, _url, _cells in result.rows))
    print(f"{'url name':<{width}}  " + "  ".join(f"{a:>10}" for a in ACCOUNTS))
    for route, _url, cells in result.rows:
        marks = []
        for account in ACCOUNTS:
            cell = cells[account]
            text = cell.get[:9] + ("!" if cell.surprise else "")
            marks.append(f"{text:>10}")
        print(f"{route.name[:width]:<{width}}  " + "  ".join(marks))
    print(f"{len(result.rows)} URLs × {len(ACCOUNTS)} accounts, {len(result.surprises)} surprises")
    for surprise in result.surprises:
        print(f"SURPRISE: {surprise}")
