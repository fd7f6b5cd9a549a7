"""
Seller Central → Orders: the list (filters, search), the order page, "Start
preparing", "Confirm shipment" and messages; Seller Central → Messages: the buyers
waiting for an answer.

Thin adapters: read through ``orders.selectors`` (scoped to the signed-in seller, so
another seller's order is a 404; a user without a store gets 403), write through
one ``orders.services`` call, and turn its errors into form errors or messages.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import TemplateView, View

from catalog.access import SellerRequiredMixin
from core.fragments import render_each

from .. import selectors, services
from ..actors import Actor
from ..filters import SellerOrderStatus
from ..forms import ConfirmShipmentForm, MessageForm
from ..fragments import order_facts
from ..models import Order, OrderStatus
from ..panels import render_seller_panels, seller_row_marks

ORDERS_PER_PAGE = 25


class SellerOrderMixin(SellerRequiredMixin):
    """The signed-in seller's order named in the URL; another seller's is a 404."""

    def get_order(self) -> Order:
        try:
            return selectors.order_for_seller(seller=self.seller, number=self.kwargs["number"])
        except Order.DoesNotExist:
            raise Http404("No order with that number in your store.") from None


def order_rows(orders: list[Order], *, ticked: bool = False) -> list:
    """
    The order list's rows, each cached under its order's facts, buyer's name, marks,
    whether a buyer message waits (a message does not move the order's version) and
    whether its bulk-cancel box starts ticked ("Select all on this page").
    """
    marks = seller_row_marks(orders)
    return render_each(
        orders,
        template="orders/_seller_order_row.html",
        name="seller-order-row",
        facts=lambda order: (
            *order_facts(order),
            order.buyer.first_name,
            marks.get(order.pk, ""),
            order.buyer_waiting_since is not None,
            ticked,
        ),
        context=lambda order: {
            "order": order,
            "marks": marks.get(order.pk, ""),
            "message_waiting": order.buyer_waiting_since is not None,
            "ticked": ticked,
        },
        prepare=selectors.prepare_cards,
    )


class SellerOrdersView(SellerRequiredMixin, TemplateView):
    template_name = "orders/seller_orders.html"

    def get_context_data(self, **kwargs):
        filterset = selectors.seller_order_filter(seller=self.seller, filters=self.request.GET)
        counts = selectors.order_counts_for_seller(seller=self.seller)
        paginator = Paginator(filterset.matching(), ORDERS_PER_PAGE)
        if not filterset.is_bound:
            paginator.count = counts["all"]  # the pills' query counted them already
        page = paginator.get_page(self.request.GET.get("page"))
        if filterset.is_bound and not filterset.is_valid():
            status = None  # no tab is current while the filters are wrong
        else:
            status = filterset.form.cleaned_data.get("status", "") if filterset.is_bound else ""
        status_tabs = [("", "All", counts["all"])] + [
            (value, label, counts[value]) for value, label in SellerOrderStatus.pills
        ]
        late_tab = (SellerOrderStatus.LATE, "Late", counts[SellerOrderStatus.LATE])
        # "Select all on this page" is a link (it works without JavaScript) that names the
        # page it ticks: a page link that keeps it opens another page unticked.
        all_ticked = self.request.GET.get("select") == str(page.number)
        return super().get_context_data(
            filterset=filterset,
            status=status,
            status_tabs=status_tabs,
            late_tab=late_tab,
            page_obj=page,
            orders=page.object_list,
            all_ticked=all_ticked,
            rows=order_rows(list(page.object_list), ticked=all_ticked),
            **kwargs,
        )


class SellerMessagesView(SellerRequiredMixin, TemplateView):
    """The seller's orders whose buyer waits for an answer, the one due first on top."""

    template_name = "orders/seller_messages.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            threads=selectors.waiting_threads_for_seller(seller=self.seller),
            answer_hours=selectors.MESSAGE_ANSWER_HOURS,
            **kwargs,
        )


class SellerOrderDetailView(SellerOrderMixin, TemplateView):
    template_name = "orders/seller_order_detail.html"

    def get(self, request, *args, **kwargs):
        return self.render_page(self.get_order(), MessageForm())

    def render_page(self, order: Order, message_form: MessageForm):
        return self.render_to_response(
            self.get_context_data(
                order=order,
                message_form=message_form,
                seller_panels=render_seller_panels(self.request, order),
                can_start_preparing=order.status == OrderStatus.UNSHIPPED,
                can_ship=order.awaiting_shipment,
            )
        )


class SellerOrderMessageView(SellerOrderDetailView):
    """POST a message to the buyer; an invalid one re-renders the order page with the error."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                services.post_message(
                    order_id=order.pk,
                    body=form.cleaned_data["body"],
                    actor=Actor.seller(request.user),
                )
            except services.OrderError as error:
                form.add_error("body", str(error))
            else:
                messages.success(request, "Message sent to the buyer.")
                return redirect(f"{order.get_seller_url()}#messages")
        return self.render_page(order, form)


class SellerStartPreparingView(SellerOrderMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        try:
            services.start_preparing(order_id=order.pk, actor=Actor.seller(request.user))
        except services.OrderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Order {order.number} is now being prepared.")
        return redirect(order.get_seller_url())


class SellerConfirmShipmentView(SellerOrderMixin, TemplateView):
    template_name = "orders/confirm_shipment.html"

    def get(self, request, *args, **kwargs):
        order = self.get_order()
        if not order.awaiting_shipment:
            return self.not_shippable(order)
        return self.render_form(order, ConfirmShipmentForm(lines=list(order.lines.all())))

    def post(self, request, *args, **kwargs):
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
                actor=Actor.seller(request.user),
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

    def render_form(self, order: Order, form: ConfirmShipmentForm):
        return self.render_to_response(self.get_context_data(order=order, form=form))

    def not_shippable(self, order: Order):
        messages.error(
            self.request,
            f"Order {order.number} cannot ship: it is {order.get_status_display().lower()}.",
        )
        return redirect(order.get_seller_url())
