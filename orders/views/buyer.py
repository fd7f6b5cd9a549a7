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
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from core.fragments import render_each
from payments.errors import PaymentError

from .. import selectors, services
from ..actors import Actor, signed_in_user
from ..forms import MessageForm, RevisePaymentForm
from ..fragments import order_facts
from ..models import Order, OrderEvent, OrderStatus
from ..panels import buyer_card_actions, buyer_card_notes, render_buyer_panels

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
    return (
        order.status == OrderStatus.PAYMENT_FAILED
        and timezone.now() <= services.payment_revision_deadline(order)
    )


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
    template_name = "orders/your_orders.html"

    def get_context_data(self, **kwargs):
        tab = selectors.BuyerTab.clean(self.request.GET.get("tab"))
        orders = selectors.orders_for_buyer(buyer=self.request.user, tab=tab)
        page = Paginator(orders, ORDERS_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            tab=tab,
            tabs=selectors.BuyerTab.choices,
            delivered_days=settings.YOUR_ORDERS_DELIVERED_DAYS,
            page_obj=page,
            orders=page.object_list,
            cards=order_cards(page.object_list),
            **kwargs,
        )


class OrderDetailView(BuyerOrderMixin, TemplateView):
    template_name = "orders/order_detail.html"

    def get(self, request, *args, **kwargs):
        return self.render_page(self.get_order(), MessageForm())

    def render_page(self, order: Order, message_form: MessageForm):
        return self.render_to_response(
            self.get_context_data(
                order=order,
                message_form=message_form,
                buyer_panels=render_buyer_panels(self.request, order),
                can_revise_payment=can_revise_payment(order),
                revise_payment_deadline=services.payment_revision_deadline(order),
                payment_decline=selectors.payment_decline(order),
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


class RevisePaymentView(BuyerOrderMixin, TemplateView):
    template_name = "orders/revise_payment.html"

    def get(self, request, *args, **kwargs):
        order = self.get_order()
        if not can_revise_payment(order):
            return self.not_revisable(order)
        return self.render_form(order, RevisePaymentForm())

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        if not can_revise_payment(order):
            return self.not_revisable(order)
        form = RevisePaymentForm(request.POST)
        if not form.is_valid():
            return self.render_form(order, form)
        try:
            services.revise_payment(
                order_id=order.pk,
                card_number=form.cleaned_data["card_number"],
                actor=Actor.buyer(request.user),
            )
        except services.OrderError as error:
            messages.error(request, str(error))
            return redirect(order)
        except PaymentError as error:
            form.add_error("card_number", str(error))
            return self.render_form(order, form)
        self.report_outcome(order)
        return redirect(order)

    def render_form(self, order: Order, form: RevisePaymentForm):
        return self.render_to_response(
            self.get_context_data(
                order=order, form=form, deadline=services.payment_revision_deadline(order)
            )
        )

    def not_revisable(self, order: Order):
        messages.info(self.request, "This order's payment does not need revising.")
        return redirect(order)

    def report_outcome(self, order: Order) -> None:
        # The gateway's answer is on the timeline: authorized, declined again, or (a
        # timeout) nothing yet while the retry asks again.
        outcome = selectors.latest_payment_event(order_id=order.pk)
        if outcome is not None and outcome.type == OrderEvent.Type.PAYMENT_AUTHORIZED:
            messages.success(
                self.request, "Thank you: your payment went through and the seller can ship."
            )
        elif outcome is not None and outcome.type == OrderEvent.Type.PAYMENT_FAILED:
            messages.error(
                self.request,
                "Your new card was declined too. Try another card to keep the order.",
            )
        else:
            messages.info(
                self.request,
                "We are still waiting for your bank; this page shows its answer once it comes.",
            )
