"""
Seller Central → an order's page: its panels (the buyer's cancellation request, Cancel
order and Cancel items, its cases), "Start preparing", "Confirm shipment" and the
messages with the buyer.

Thin adapters: read through ``orders.selectors`` (scoped to the signed-in seller, so
another seller's order is a 404; a user without a store gets 403), write through
one ``orders.services`` call, and turn its errors into form errors or messages.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.generic import TemplateView, View

from cancellations.panels import seller_panel_facts
from catalog.access import SellerRequiredMixin
from orders import selectors, services
from orders.actors import Actor, signed_in_user
from orders.forms import ConfirmShipmentForm, MessageForm
from orders.models import Order, OrderStatus
from orders.panels import render_seller_panels


def seller_panels(request: HttpRequest, order: Order) -> SafeString:
    """
    The order's cancellation panel (its buttons are Seller Central's, so it is rendered
    here), then the panels other apps registered with ``orders.panels`` (its cases).
    """
    cancellation = render_to_string(
        "sellercentral/_cancellation_panel.html", seller_panel_facts(order), request=request
    )
    return cancellation + render_seller_panels(request, order)


class SellerOrderMixin(SellerRequiredMixin):
    """The signed-in seller's order named in the URL; another seller's is a 404."""

    def get_order(self) -> Order:
        try:
            return selectors.order_for_seller(seller=self.seller, number=self.kwargs["number"])
        except Order.DoesNotExist:
            raise Http404("No order with that number in your store.") from None


class SellerOrderDetailView(SellerOrderMixin, TemplateView):
    template_name = "sellercentral/order.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(self.get_order(), MessageForm())

    def render_page(self, order: Order, message_form: MessageForm) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(
                order=order,
                message_form=message_form,
                seller_panels=seller_panels(self.request, order),
                can_start_preparing=order.status == OrderStatus.UNSHIPPED,
                can_ship=order.awaiting_shipment,
            )
        )


class SellerOrderMessageView(SellerOrderDetailView):
    """POST a message to the buyer; an invalid one re-renders the order page with the error."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order = self.get_order()
        form = MessageForm(request.POST)
        if form.send(order, Actor.seller(signed_in_user(request))):
            messages.success(request, "Message sent to the buyer.")
            return redirect(f"{order.get_seller_url()}#messages")
        return self.render_page(order, form)


class SellerStartPreparingView(SellerOrderMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order = self.get_order()
        try:
            services.start_preparing(order_id=order.pk, actor=Actor.seller(signed_in_user(request)))
        except services.OrderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Order {order.number} is now being prepared.")
        return redirect(order.get_seller_url())


class SellerConfirmShipmentView(SellerOrderMixin, TemplateView):
    template_name = "sellercentral/confirm_shipment.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order = self.get_order()
        if not order.awaiting_shipment:
            return self.not_shippable(order)
        return self.render_form(order, ConfirmShipmentForm(lines=list(order.lines.all())))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order = self.get_order()
        if not order.awaiting_shipment:
            return self.not_shippable(order)
        form = ConfirmShipmentForm(request.POST, lines=list(order.lines.all()))
        if not form.is_valid():
            return self.render_form(order, form)
        try:
            shipment = services.confirm_shipment(
                order_id=order.pk,
                quantities=form.quantities(),
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                actor=Actor.seller(signed_in_user(request)),
            )
        except (services.OrderError, ValueError) as error:
            # The order changed since the page was loaded (a cancellation, another tab).
            form.add_error(None, str(error))
            return self.render_form(order, form)
        units = sum(form.quantities().values())
        messages.success(
            request,
            f"Shipment confirmed: {units} item{'s' if units != 1 else ''} with "
            f"{shipment.carrier}, tracking {shipment.tracking_number}. The buyer has been told.",
        )
        return redirect(order.get_seller_url())

    def render_form(self, order: Order, form: ConfirmShipmentForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(order=order, form=form))

    def not_shippable(self, order: Order) -> HttpResponse:
        messages.error(
            self.request,
            f"Order {order.number} cannot ship: it is {order.get_status_display().lower()}.",
        )
        return redirect(order.get_seller_url())
