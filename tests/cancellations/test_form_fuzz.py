"""
Cancel Items and Confirm under generated input (hypothesis).

A signed-in buyer posts whatever a browser, a proxy or an attacker could send about a
fresh order of theirs: line fields for its open lines, its closed line, another buyer's
line, unknown and garbage ids; quantities and flags from huge, negative, fractional,
non-ASCII and NUL-laden text; garbage reasons, notes, modes and idempotency keys;
repeated keys; other people's and made-up order numbers. Never a server error; nothing
changes unless Confirm was valid, and then exactly what was confirmed happens.

Every example runs in a savepoint that is rolled back, so each starts from the same
fresh order and nothing an example did leaks into the next.
"""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from django.contrib.messages import SUCCESS, get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cancellations.models import (
    BUYER_REASONS,
    Cancellation,
    CancellationLine,
    CancellationRequest,
    CancellationRequestLine,
    Reason,
)
from cancellations.rules import BuyerMode, buyer_mode
from cancellations.services.cancel import cancel_items
from catalog.models import Listing
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.models import Order, OrderLine
from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


FUZZ_SETTINGS = hypothesis_settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example database written into the repository
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)

# --- What gets posted ------------------------------------------------------------------
# Posts are built from symbols resolved against each example's fresh order: a line id
# may be one of the order's two open lines, its closed line, a line of another buyer's
# order, an id nobody has, a real id written differently, or any text at all.
OPEN_LINES = ("open1", "open2")
LINE_IDS = st.one_of(
    st.sampled_from([*OPEN_LINES, "closed", "foreign", "unknown", "zero-padded", "spaced"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
NUMBERS = st.one_of(
    st.integers(-5, 6).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "",
            " 1",
            "1 ",
            "1.0",
            "1.00",
            "2.5",
            "1e1",
            "0x1",
            "1_0",
            "+1",
            "٣",
            "１",
            "2\x00",
            "\x00",
        ]
    ),
)
VALUES = st.one_of(
    st.sampled_from(["on", "true", "false", "0", "1", "off", "None"]),
    NUMBERS,
    TEXT,
    st.binary(max_size=8),  # bytes that may not be UTF-8 at all
)
REASONS = st.one_of(
    st.sampled_from([reason.value for reason in Reason] + ["", " other", "OTHER"]),
    TEXT,
)
NOTES = st.one_of(
    st.just(""),
    TEXT,
    st.sampled_from(["x" * 500, "x" * 501, "   ", "nul\x00byte", "<script>alert(1)</script>"]),
)
MODES = st.one_of(st.sampled_from(["direct", "request", "DIRECT", "", "actual"]), TEXT)
KEYS = st.one_of(
    st.binary(min_size=16, max_size=16).map(bytes.hex),
    st.binary(min_size=16, max_size=16).map(lambda b: b.hex().upper()),
    st.binary(min_size=15, max_size=17).map(bytes.hex),
    st.sampled_from(["", "0" * 32 + "\x00", " " + "a" * 32, "a" * 32 + "\n", "a" * 64]),
    TEXT,
)


QTY = st.integers(1, 3)
GOOD_KEYS = st.binary(min_size=16, max_size=16).map(bytes.hex)


@st.composite
def valid_choices(draw):
    """What the review page posts: open lines ticked, quantities within what is open."""
    which = draw(st.lists(st.sampled_from(OPEN_LINES), min_size=1, max_size=2, unique=True))
    reason = draw(st.sampled_from([reason.value for reason in BUYER_REASONS]))
    note = draw(
        st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=60).filter(
            lambda text: reason != Reason.OTHER or text.strip()
        )
    )
    pairs = []
    for symbol in which:
        # A quantity of 1-3, capped at what the line has open once the line is known.
        pairs += [(("line", symbol), "on"), (("qty", symbol), ("qty", symbol, draw(QTY)))]
    pairs += [("reason", reason), ("note", note)]
    return pairs


FORM_FIELDS = {"reason": REASONS, "note": NOTES, "mode": MODES, "idempotency_key": KEYS}


@st.composite
def garbage_pairs(draw):
    """Line fields, form fields and junk in any order, any of them repeated or missing."""
    pairs = [
        ((prefix, line_id), value)
        for prefix, line_id, value in draw(
            st.lists(st.tuples(st.sampled_from(["line", "qty"]), LINE_IDS, VALUES), max_size=6)
        )
    ]
    for name, values in FORM_FIELDS.items():
        pairs += [(name, value) for value in draw(st.lists(values, max_size=2))]
    pairs += draw(st.lists(st.tuples(TEXT, VALUES), max_size=2))
    return draw(st.permutations(pairs))


@st.composite
def posts(draw, *, confirm: bool):
    """One POST: where to, the (key, value) pairs, whether it is valid, how it is encoded."""
    kind = draw(st.sampled_from(["valid", "valid", "mutated", "garbage"]))
    pairs = draw(valid_choices()) if kind != "garbage" else []
    if confirm and kind != "garbage":
        pairs += [("mode", "actual"), ("idempotency_key", draw(GOOD_KEYS))]
    if kind != "valid":
        extra = draw(garbage_pairs())
        if kind == "mutated":  # a few changes to a valid post, anywhere in it
            extra = extra[: draw(st.integers(1, 3))]
        for pair in extra:
            pairs.insert(draw(st.integers(0, len(pairs))), pair)
    target = draw(st.sampled_from(["own"] * 8 + ["foreign", "made-up"]))
    return {
        "target": target,
        # Junk, or a well-formed number nobody has.
        "made_up": draw(
            st.one_of(
                st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24),
                st.from_regex(r"[0-9]{3}-[0-9]{7}-[0-9]{4}", fullmatch=True),
            )
        ),
        "pairs": pairs,
        "valid": kind == "valid" and target == "own",
        "encoding": draw(st.sampled_from(["urlencoded", "multipart"])),
        "aged": draw(st.booleans()),
    }


def a_post(pairs, *, target="own", made_up="x", valid=False):
    """An explicit example in the shape ``posts`` draws."""
    return {
        "target": target,
        "made_up": made_up,
        "pairs": pairs,
        "valid": valid,
        "encoding": "urlencoded",
        "aged": False,
    }


VALID_CONFIRM = [
    (("line", "open1"), "on"),
    (("qty", "open1"), ("qty", "open1", 1)),
    ("reason", Reason.FOUND_CHEAPER.value),
    ("note", ""),
    ("mode", "actual"),
]
# Always tried, whatever is drawn: NUL bytes in the idempotency key, the order number
# and the line fields (PostgreSQL refuses NUL in text, so unvalidated they become a 500).
EXPLICIT_EXAMPLES = [
    a_post([*VALID_CONFIRM, ("idempotency_key", "a" * 31 + "\x00")]),
    a_post([*VALID_CONFIRM, ("idempotency_key", "b" * 32)], target="made-up", made_up="\x00"),
    a_post([*VALID_CONFIRM, ("idempotency_key", "c" * 32)], target="made-up", made_up="1" * 300),
    a_post([*VALID_CONFIRM, ("idempotency_key", "d" * 32)], valid=True),
    a_post([(("line", "open1"), "on"), (("qty", "open1"), "\x00"), ("reason", "other\x00")]),
    a_post([(("line", "\x00"), "on"), ("qty_1\x00", "1"), ("idempotency_key", "\x00")]),
]


# --- The world each example starts from ---------------------------------------------------
class World:
    """A buyer, a seller with three listings, and another buyer's order."""

    def __init__(self):
        self.buyer = UserFactory(username="fuzz-buyer")
        self.seller = SellerFactory(user=UserFactory(username="fuzz-seller"))
        self.listings = [
            ListingFactory(seller=self.seller, stock=10_000, price=price)
            for price in (Decimal("12.50"), Decimal("3.99"), Decimal("20.00"))
        ]
        self.stranger = UserFactory(username="fuzz-stranger")
        (self.foreign_order,) = place_orders(
            buyer=self.stranger,
            items={self.listings[0].pk: 2},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )
        self.foreign_line = self.foreign_order.lines.get()

    def fresh_order(self, *, aged: bool) -> tuple[Order, dict[str, OrderLine]]:
        """An order of 2 + 3 units still open and one line already cancelled."""
        (order,) = place_orders(
            buyer=self.buyer,
            items={self.listings[0].pk: 2, self.listings[1].pk: 3, self.listings[2].pk: 1},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )
        first, second, third = order.lines.order_by("pk")
        cancel_items(
            order_id=order.pk,
            quantities={third.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(self.buyer),
        )
        if aged:  # past the 30-minute window: Confirm files a request instead
            Order.objects.filter(pk=order.pk).update(
                placed_at=order.placed_at - timedelta(minutes=45)
            )
        order.refresh_from_db()
        return order, {"open1": first, "open2": second, "closed": third}

    def resolve(self, post, order, lines):
        """Turn a post's symbols into real field names and values."""
        mode = buyer_mode(order, list(order.lines.all()))
        symbols = {
            **{name: str(line.pk) for name, line in lines.items()},
            "foreign": str(self.foreign_line.pk),
            "unknown": str(
                OrderLine.objects.order_by("-pk").values_list("pk", flat=True)[0] + 10**6
            ),
            "zero-padded": f"0{lines['open1'].pk}",
            "spaced": f" {lines['open1'].pk}",
        }
        intended = {}
        pairs = []
        for key, value in post["pairs"]:
            if isinstance(key, tuple):
                prefix, symbol = key
                key = f"{prefix}_{symbols.get(symbol, symbol)}"
            if isinstance(value, tuple):  # a valid quantity, capped now that the line is known
                _, symbol, wanted = value
                line = lines[symbol]
                intended[line.pk] = min(wanted, line.quantity_open)
                value = str(intended[line.pk])
            elif value == "actual" and key == "mode":
                value = mode.value
            pairs.append((key, value))
        return pairs, intended, mode


def state(order: Order, world: World):
    """Everything a cancellation could touch."""
    return {
        "lines": list(
            OrderLine.objects.filter(order__in=[order, world.foreign_order])
            .order_by("pk")
            .values_list("pk", "quantity_cancelled", "quantity_shipped")
        ),
        "cancellations": Cancellation.objects.count(),
        "requests": CancellationRequest.objects.count(),
        "stock": list(Listing.objects.order_by("pk").values_list("pk", "stock")),
        "outbox": OutboxMessage.objects.count(),
        "status": list(
            Order.objects.filter(pk__in=[order.pk, world.foreign_order.pk]).values_list("status")
        ),
    }


def post_as_buyer(world: World, url: str, pairs, encoding: str):
    client = Client()
    client.force_login(world.buyer)
    multipart_safe = all(
        isinstance(value, str) and not any(c in key for c in '"\r\n') for key, value in pairs
    )
    if encoding == "multipart" and multipart_safe:
        data: dict[str, list[str]] = {}
        for key, value in pairs:
            data.setdefault(key, []).append(value)
        return client.post(url, data)
    return client.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded")


def url_for(name: str, post, order: Order, world: World) -> str:
    if post["target"] == "foreign":
        return reverse(name, args=[world.foreign_order.number])
    url = reverse(name, args=[order.number])
    if post["target"] == "made-up":  # by hand: reverse() rightly refuses junk numbers
        url = url.replace(f"/{order.number}/", f"/{quote(post['made_up'], safe='')}/")
    return url


def run_example(world: World, post, endpoint: str):
    """Post once to a fresh order and check the outcome, in a savepoint rolled back after."""
    with transaction.atomic():
        order, lines = world.fresh_order(aged=post["aged"])
        pairs, intended, mode = world.resolve(post, order, lines)
        before = state(order, world)

        response = post_as_buyer(
            world, url_for(endpoint, post, order, world), pairs, post["encoding"]
        )

        assert response.status_code < 500, (response.status_code, pairs)
        said = list(get_messages(response.wsgi_request))
        succeeded = any(message.level == SUCCESS for message in said)
        after = state(order, world)
        if endpoint == "cancellations:confirm" and succeeded:
            check_confirmed(order, pairs, intended, mode, post, before, after)
        else:
            assert after == before, f"{endpoint} changed something for {pairs!r}"
            if endpoint == "cancellations:cancel_items" and post["valid"]:
                # A valid choice shows the review page, which still changes nothing.
                assert response.status_code == 200
                assert b"Review your cancellation" in response.content
            if endpoint == "cancellations:confirm":
                assert not post["valid"], f"a valid confirm was refused: {pairs!r} {said!r}"
        if post["target"] != "own":
            assert response.status_code == 404
        transaction.set_rollback(True)


def check_confirmed(order, pairs, intended, mode, post, before, after):
    """A successful Confirm did exactly one thing: what the posted choices said."""
    assert post["target"] == "own"
    key = dict(pairs)["idempotency_key"].strip()
    posted_names = {name for name, _ in pairs}
    if mode == BuyerMode.DIRECT:
        cancellation = Cancellation.objects.get(idempotency_key=key)
        assert cancellation.order_id == order.pk
        assert after["cancellations"] == before["cancellations"] + 1
        assert after["requests"] == before["requests"]
        done = dict(
            CancellationLine.objects.filter(cancellation=cancellation).values_list(
                "order_line", "quantity"
            )
        )
        cancelled_before = {pk: c for pk, c, _ in before["lines"]}
        cancelled_after = {pk: c for pk, c, _ in after["lines"]}
        assert {pk: cancelled_after[pk] - cancelled_before[pk] for pk in done} == done
        assert sum(cancelled_after.values()) - sum(cancelled_before.values()) == sum(done.values())
    else:
        request = CancellationRequest.objects.get(idempotency_key=key)
        assert request.order_id == order.pk
        assert after["requests"] == before["requests"] + 1
        assert after["cancellations"] == before["cancellations"]
        assert after["lines"] == before["lines"]  # a request changes no quantities
        done = dict(
            CancellationRequestLine.objects.filter(request=request).values_list(
                "order_line", "quantity"
            )
        )
    assert all(f"line_{pk}" in posted_names for pk in done), (done, pairs)
    if post["valid"]:
        assert done == intended


# --- The tests ----------------------------------------------------------------------------
def fuzz(endpoint: str):
    world = World()

    def check(post):
        run_example(world, post, endpoint)

    for post in EXPLICIT_EXAMPLES:
        check = example(post=post)(check)
    check = FUZZ_SETTINGS(given(post=posts(confirm=endpoint == "cancellations:confirm"))(check))

    check()


def test_cancel_items_never_fails_and_never_changes_anything_on_any_input():
    """Any POST to Cancel Items: no 500, and only a review page at most (nothing changes)."""
    fuzz("cancellations:cancel_items")


def test_confirm_never_fails_and_changes_only_what_a_valid_review_confirmed():
    """Any POST to Confirm: no 500; nothing changes unless valid, then just what was confirmed."""
    fuzz("cancellations:confirm")
