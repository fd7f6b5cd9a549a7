"""
Your Orders: the buyer's order list, order page, messages and "Revise payment".

Thin adapters: read through ``orders.selectors`` (scoped to ``request.user``, so
another buyer's order is a 404), write through one ``orders.services`` call, and
turn its errors into form errors or messages.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from core import pagecache
from core.fragments import render_each
from core.money import MAX_CART_LINES
from payments.errors import PaymentError
from payments.gateway import uses_stripe

from .. import selectors, services
from ..actors import Actor, signed_in_user
from ..changelog import buyer_version
from ..forms import MessageForm, RevisePaymentForm, StripeRevisePaymentForm, revise_payment_form
from ..fragments import order_facts
from ..models import Order, OrderEvent, OrderStatus
from ..panels import buyer_card_actions, buyer_card_notes, render_buyer_panels
from .elements import StripeElementsMixin
from .storefront import PLACED_ORDERS_SESSION_KEY, confirm_payment_url, show_placed

ORDERS_PER_PAGE = 10


class BuyerOrderMixin(LoginRequiredMixin):
    """The signed-in buyer's order named in the URL; anyone else's is a 404."""

    request: HttpRequest  # the view's, which this mixin is mixed into
    kwargs: dict[str, Any]

    # What the view reads of it: everything (the order page), or its lines and parties.
    order_detailed = True

    def get_order(self) -> Order:
        try:
            return selectors.order_for_buyer(
                buyer=signed_in_user(self.request),
                number=self.kwargs["number"],
                detailed=self.order_detailed,
            )
        except Order.DoesNotExist:
            raise Http404("No order with that number in your account.") from None


def can_revise_payment(order: Order) -> bool:
    """Whether to offer "Revise payment" (the service re-checks under the order's lock)."""
    if order.status != OrderStatus.PAYMENT_FAILED:
        return False
    deadline = services.payment_revision_deadline(order)
    pagecache.expires(deadline)
    return timezone.now() <= deadline


def order_cards(orders) -> list:
    """
    Your Orders' cards, each cached under its order's facts, seller's name, what waits
    on the buyer (a request's state, a payment to revise and until when) and its actions.
    """
    notes, actions = buyer_card_notes(orders), buyer_card_actions(orders)
    revise_by = {
        order.pk: services.payment_revision_deadline(order)
        for order in orders
        if can_revise_payment(order)
    }

    def card(order) -> dict:
        return {
            "order": order,
            "notes": notes.get(order.pk, ""),
            "revise_by": revise_by.get(order.pk),
            "actions": actions.get(order.pk, ""),
        }

    return render_each(
        orders,
        template="orders/_order_card.html",
        name="order-card",
        facts=lambda order: (
            *order_facts(order),
            order.seller.store_name,
            notes.get(order.pk, ""),
            revise_by.get(order.pk),
            actions.get(order.pk, ""),
        ),
        context=card,
        prepare=selectors.prepare_cards,
    )


class YourOrdersView(LoginRequiredMixin, TemplateView):
    """
    The buyer's orders on a tab, a page at a time; served from the page cache while none
    of the buyer's orders, nor anything of theirs, has changed (the buyer's version,
    orders.changelog) and none of the page's deadlines has passed: on Current, the next
    delivered order leaving the tab; on each card, what its rules say (a late order).
    """

    template_name = "orders/your_orders.html"

    def get(self, request, *args, **kwargs):
        return pagecache.serve(
            request,
            name="your_orders",
            versions=lambda: str(buyer_version(request, request.user.pk)),
            render=lambda: super(YourOrdersView, self).get(request, *args, **kwargs),
        )

    def tab_orders(self):
        tab = selectors.BuyerTab.clean(self.request.GET.get("tab"))
        return selectors.orders_for_buyer(buyer=self.request.user, tab=tab)

    def place(self) -> dict[str, str | None]:
        """Where the page starts: after ``older`` or before ``newer`` (the pager's links)."""
        return {
            "older_than": self.request.GET.get("older"),
            "newer_than": self.request.GET.get("newer"),
        }

    def get_context_data(self, **kwargs):
        tab = selectors.BuyerTab.clean(self.request.GET.get("tab"))
        if tab == selectors.BuyerTab.OPEN and pagecache.for_the_cache():
            pagecache.expires(selectors.current_tab_changes_at(buyer=self.request.user))
        page = selectors.buyer_orders_page(
            orders=self.tab_orders(), size=ORDERS_PER_PAGE, **self.place()
        )
        return super().get_context_data(
            tab=tab,
            tabs=selectors.BuyerTab.choices,
            delivered_days=settings.YOUR_ORDERS_DELIVERED_DAYS,
            page=page,
            orders=page.orders,
            cards=order_cards(page.orders),
            **kwargs,
        )


def confirm_payment_link(order: Order) -> str:
    """
    The 3-D Secure page's address while the order's bank waits for the buyer to confirm
    its payment (with the Stripe gateway), so a buyer who left that page can come back;
    "" otherwise. Asks the gateway only about an order still waiting for payment.
    """
    if not uses_stripe() or order.status not in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAYMENT_FAILED,
    ):
        return ""
    waiting = services.awaiting_authentication(order_ids=[order.pk])
    return confirm_payment_url(waiting) if services.authentication_secrets(waiting) else ""


class OrderDetailView(BuyerOrderMixin, TemplateView):
    template_name = "orders/order_detail.html"

    def get(self, request, *args, **kwargs):
        return pagecache.serve(
            request,
            name="order_page",
            versions=lambda: selectors.ORDER_PAGE_ROWS.versions(request.user.pk, kwargs["number"]),
            render=lambda: self.render_page(self.get_order(), MessageForm()),
        )

    def render_page(self, order: Order, message_form: MessageForm):
        return self.render_to_response(
            self.get_context_data(
                order=order,
                message_form=message_form,
                buyer_panels=render_buyer_panels(self.request, order),
                can_revise_payment=can_revise_payment(order),
                revise_payment_deadline=services.payment_revision_deadline(order),
                payment_decline=selectors.payment_decline(order),
                confirm_payment_url=confirm_payment_link(order),
            )
        )


class OrderMessageView(OrderDetailView):
    """POST a message to the seller; an invalid one re-renders the order page with the error."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        form = MessageForm(request.POST)
        if form.send(order, Actor.buyer(signed_in_user(request))):
            messages.success(request, f"Message sent to {order.seller.store_name}.")
            return redirect(f"{order.get_absolute_url()}#messages")
        return self.render_page(order, form)


def report_revised_payment(request: HttpRequest, order: Order) -> None:
    """Tell the buyer what became of the card they gave for a declined order."""
    # The gateway's answer is on the timeline: authorized, declined again, or (a
    # timeout) nothing yet while the retry asks again.
    outcome = selectors.latest_payment_event(order_id=order.pk)
    if outcome is not None and outcome.type == OrderEvent.Type.PAYMENT_AUTHORIZED:
        messages.success(request, "Thank you: your payment went through and the seller can ship.")
    elif outcome is not None and outcome.type == OrderEvent.Type.PAYMENT_FAILED:
        messages.error(
            request,
            "Your new card was declined too. Try another card to keep the order.",
        )
    else:
        messages.info(
            request,
            "We are still waiting for your bank; this page shows its answer once it comes.",
        )


class RevisePaymentView(BuyerOrderMixin, StripeElementsMixin, TemplateView):
    """
    A new card for a declined order: typed (the sandbox) or through Stripe Elements. A
    card whose bank wants the buyer to confirm goes on to the 3-D Secure page.
    """

    template_name = "orders/revise_payment.html"

    def get(self, request, *args, **kwargs):
        order = self.get_order()
        if not can_revise_payment(order):
            return self.not_revisable(order)
        return self.render_form(order, revise_payment_form(buyer=signed_in_user(request)))

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        if not can_revise_payment(order):
            return self.not_revisable(order)
        form = revise_payment_form(request.POST, buyer=signed_in_user(request))
        if not form.is_valid():
            return self.render_form(order, form)
        try:
            services.revise_payment(
                order_id=order.pk, card=form.card(), actor=Actor.buyer(request.user)
            )
        except services.OrderError as error:
            messages.error(request, str(error))
            return redirect(order)
        except PaymentError as error:
            form.add_error(form.card_field, str(error))
            return self.render_form(order, form)
        if uses_stripe() and (waiting := services.awaiting_authentication(order_ids=[order.pk])):
            return redirect(confirm_payment_url(waiting))
        report_revised_payment(request, order)
        return redirect(order)

    def render_form(self, order: Order, form: RevisePaymentForm | StripeRevisePaymentForm):
        return self.render_to_response(
            self.get_context_data(
                order=order, form=form, deadline=services.payment_revision_deadline(order)
            )
        )

    def not_revisable(self, order: Order):
        messages.info(self.request, "This order's payment does not need revising.")
        return redirect(order)


@method_decorator(never_cache, name="dispatch")  # the page carries the payments' secrets
class ConfirmPaymentView(LoginRequiredMixin, StripeElementsMixin, TemplateView):
    """
    3-D Secure: the buyer's orders (``?order=<number>``, repeated) whose bank wants the
    buyer to confirm the payment. GET shows them, each with the secret its payment is
    confirmed with (read from the gateway, nothing changes); the page's script has
    Stripe.js confirm each, then POSTs the same orders here, and each authorization is
    asked again with its own key and recorded once (``finish_card_authentication``).
    Another buyer's order, or an unknown number, is a 404.
    """

    template_name = "orders/confirm_payment.html"

    def named_orders(self, data: QueryDict) -> list[Order]:
        numbers = list(dict.fromkeys(data.getlist("order")))
        if len(numbers) > MAX_CART_LINES:
            raise Http404("Too many orders.")
        orders = selectors.buyer_orders_by_number(
            buyer=signed_in_user(self.request), numbers=numbers
        )
        if len(orders) != len(numbers):
            raise Http404("No order with that number in your account.")
        return orders

    def get(self, request, *args, **kwargs):
        orders = self.named_orders(request.GET)
        confirming = self.confirming(orders)
        if not confirming:
            return self.answered(orders)
        return self.render_to_response(
            self.get_context_data(
                payments=confirming,
                deadline=min(services.payment_revision_deadline(order) for order, _ in confirming),
            )
        )

    def post(self, request, *args, **kwargs):
        orders = self.named_orders(request.POST)
        actor = Actor.buyer(signed_in_user(request))
        for order in orders:
            services.finish_card_authentication(order_id=order.pk, actor=actor)
        if still := self.confirming(orders):
            messages.warning(request, "Your bank is still waiting for you to confirm the payment.")
            return redirect(confirm_payment_url([order for order, _ in still]))
        orders = selectors.buyer_orders_by_number(
            buyer=signed_in_user(request), numbers=[order.number for order in orders]
        )
        if revised_orders(orders):
            report_revised_payment(request, orders[0])
        return self.answered(orders)

    @staticmethod
    def confirming(orders: list[Order]) -> list[tuple[Order, str]]:
        """The orders whose bank waits for the buyer, each with its payment's secret."""
        waiting = services.awaiting_authentication(order_ids=[order.pk for order in orders])
        secrets = services.authentication_secrets(waiting)
        return [(order, secrets[order.pk]) for order in waiting if order.pk in secrets]

    def answered(self, orders: list[Order]) -> HttpResponseRedirect:
        """
        Where the buyer goes once nothing is left to confirm: a revised payment's order
        page, else the checkout's "order placed" page (its orders are this session's
        last checkout's, or a POST makes them so).
        """
        if not orders:
            return redirect("orders:your_orders")
        if revised_orders(orders):
            return redirect(orders[0])
        placed = self.request.session.get(PLACED_ORDERS_SESSION_KEY) or []
        if {order.number for order in orders} <= set(placed):
            return redirect("storefront:order_placed")
        if self.request.method == "POST":
            return show_placed(self.request, orders)
        return redirect(orders[0] if len(orders) == 1 else "orders:your_orders")


def revised_orders(orders: list[Order]) -> bool:
    """Whether these are one order's revised payment ("Revise payment"), not a checkout's."""
    return len(orders) == 1 and orders[0].payment_attempts > 1
