"""
The storefront's cart, checkout and "order placed" pages.

Thin adapters: the cart lives in the session (``orders.cart``), checkout is one
call to ``orders.services.place_orders``, and every refusal becomes a message or a
form error with nothing changed.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import services as accounts
from accounts.models import Address
from accounts.selectors import addresses_of, has_verified_email
from catalog.selectors import listings_by_id
from core.money import MAX_QUANTITY_PER_LINE
from payments.errors import PaymentError
from payments.gateway import uses_stripe

from .. import selectors, services
from ..actors import signed_in_user
from ..cart import Cart, CartError, summarize
from ..checkout_forms import (
    NEW_ADDRESS,
    CartLineForm,
    CartRemoveForm,
    CheckoutForm,
    StripeCheckoutForm,
)
from ..models import Order, OrderStatus
from .elements import StripeElementsMixin

# The numbers of the orders the buyer's last checkout created, for "order placed".
PLACED_ORDERS_SESSION_KEY = "placed_orders"


def _listing(listing_id: int):
    return listings_by_id([listing_id]).get(listing_id)


class CartView(LoginRequiredMixin, TemplateView):
    """GET shows the cart; POST changes one line's quantity."""

    template_name = "orders/cart.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            summary=summarize(Cart(self.request.session)),
            max_quantity=MAX_QUANTITY_PER_LINE,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = CartLineForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.first_error())
            return redirect("storefront:cart")
        listing = _listing(form.cleaned_data["listing"])
        try:
            Cart(request.session).update(listing, form.cleaned_data["quantity"], buyer=request.user)
        except CartError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"“{listing.title}”: quantity set to {form.cleaned_data['quantity']}."
            )
        return redirect("storefront:cart")


class CartAddView(LoginRequiredMixin, View):
    """ "Add to cart" on a listing page (POST only: a GET is 405 and changes nothing)."""

    http_method_names = ["post"]

    def handle_no_permission(self):
        # Come back to the listing after signing in, not to this POST-only address.
        form = CartRemoveForm(self.request.POST)
        if form.is_valid():
            back = reverse("storefront:listing", args=[form.cleaned_data["listing"]])
        else:
            back = reverse("storefront:shop")
        return redirect_to_login(back, self.get_login_url(), self.get_redirect_field_name())

    def post(self, request, *args, **kwargs):
        form = CartLineForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.first_error())
            return self._back(form)
        listing = _listing(form.cleaned_data["listing"])
        quantity = form.cleaned_data["quantity"]
        try:
            Cart(request.session).add(listing, quantity, buyer=request.user)
        except CartError as error:
            messages.error(request, str(error))
            return self._back(form)
        messages.success(request, f"Added {quantity} × “{listing.title}” to your cart.")
        return redirect("storefront:cart")

    def _back(self, form):
        """Back to the listing the buyer was looking at, when there is one."""
        listing_id = form.cleaned_data.get("listing")
        if listing_id and _listing(listing_id):
            return redirect("storefront:listing", pk=listing_id)
        return redirect("storefront:shop")


class CartRemoveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = CartRemoveForm(request.POST)
        if form.is_valid() and Cart(request.session).remove(form.cleaned_data["listing"]):
            messages.success(request, "Item removed from your cart.")
        else:
            messages.error(request, "That item is not in your cart.")
        return redirect("storefront:cart")


def show_placed(request, orders) -> HttpResponseRedirect:
    request.session[PLACED_ORDERS_SESSION_KEY] = [order.number for order in orders]
    return redirect("storefront:order_placed")


def confirm_payment_url(orders: list[Order]) -> str:
    """The 3-D Secure page for these orders (``orders:confirm_payment``)."""
    query = urlencode([("order", order.number) for order in orders])
    return f"{reverse('orders:confirm_payment')}?{query}"


class CheckoutView(LoginRequiredMixin, StripeElementsMixin, FormView):
    """
    The address and card of a checkout, then ``place_orders``. With the Stripe gateway
    the card comes through Stripe Elements (``StripeCheckoutForm``), and orders whose
    bank wants the buyer to confirm go on to the 3-D Secure page.
    """

    template_name = "orders/checkout.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if request.method == "POST" and (orders := self._placed_by_this_form()):
                # This page was already submitted (its answer lost, or a second click):
                # show what it ordered rather than order again or say "cart empty".
                messages.info(request, "This order was already placed.")
                return show_placed(request, orders)
            if not Cart(request.session).items():
                messages.info(request, "Your cart is empty: add something before checking out.")
                return redirect("storefront:cart")
        return super().dispatch(request, *args, **kwargs)

    def _placed_by_this_form(self):
        token = self.get_form_class().base_fields["checkout_token"]
        try:
            checkout_token = token.clean(self.request.POST.get("checkout_token"))
        except ValidationError:
            return []
        return services.placed_orders(buyer=self.request.user, checkout_token=checkout_token)

    @cached_property
    def saved_addresses(self) -> list[Address]:
        """The buyer's saved addresses, the default first: the form's choices, its initial."""
        return list(addresses_of(signed_in_user(self.request)))

    def get_form_class(self):
        return StripeCheckoutForm if uses_stripe() else CheckoutForm

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "saved_addresses": self.saved_addresses}
        if uses_stripe():
            kwargs["buyer"] = signed_in_user(self.request)
        return kwargs

    def get_initial(self):
        name = {"name": self.request.user.get_full_name()}
        if self.saved_addresses:
            # The default saved address is chosen (addresses_of lists it first); "A new
            # address" starts blank but for the name, not as a copy of a saved one.
            return {**name, "ship_to": str(self.saved_addresses[0].pk), **self._token()}
        # No saved address: a new one starts as the last order's, a first order with the name.
        address = selectors.last_shipping_address(buyer=self.request.user) or name
        return {**address, "ship_to": NEW_ADDRESS, **self._token()}

    @staticmethod
    def _token() -> dict[str, Any]:
        return {"checkout_token": CheckoutForm.new_token()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            summary=summarize(Cart(self.request.session)),
            email_verified=has_verified_email(self.request.user),
            **kwargs,
        )

    def form_invalid(self, form):
        if "checkout_token" in form.errors:
            # A page from before tokens, or a tampered one: say so, and give the
            # re-rendered page a fresh token so the next click can order.
            messages.error(self.request, form.errors["checkout_token"][0])
            form.data = form.data.copy()
            form.data["checkout_token"] = str(CheckoutForm.new_token())
        return super().form_invalid(form)

    def form_valid(self, form):
        cart = Cart(self.request.session)
        try:
            orders = services.place_orders(
                buyer=self.request.user,
                items=cart.items(),
                address=form.shipping_address(),
                card=form.card(),
                checkout_token=form.cleaned_data["checkout_token"],
            )
        except services.OrderError as error:
            # Nothing was reserved or created; the cart stays as it was.
            messages.error(self.request, str(error))
            return self.form_invalid(form)
        except PaymentError as error:  # the card number did not tokenize
            form.add_error(form.card_field, str(error))
            return self.form_invalid(form)
        cart.clear()
        if form.cleaned_data["save_address"] and form.chosen_address() is None:
            self._save_address(form)
        placed = show_placed(self.request, orders)
        if uses_stripe():
            waiting = services.awaiting_authentication(order_ids=[order.pk for order in orders])
            if waiting:
                return redirect(confirm_payment_url(waiting))
        return placed

    def _save_address(self, form):
        """The new address, saved to the account once the order is placed (the box was ticked)."""
        try:
            accounts.save_address(user_id=self.request.user.pk, **form.address_data())
        except accounts.AccountError as error:
            messages.warning(self.request, f"Your address was not saved: {error}")
        else:
            messages.success(self.request, "The address is saved to your account.")


class OrderPlacedView(LoginRequiredMixin, TemplateView):
    """The orders of the buyer's last checkout, with what happened to each payment."""

    template_name = "orders/order_placed.html"

    def get(self, request, *args, **kwargs):
        numbers = request.session.get(PLACED_ORDERS_SESSION_KEY)
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            numbers = []
        orders = sorted(
            selectors.orders_for_buyer(buyer=request.user, tab=selectors.BuyerTab.ALL).filter(
                number__in=numbers
            ),
            key=lambda order: (order.seller.store_name, order.pk),
        )
        if not orders:
            return redirect("orders:your_orders")
        selectors.prepare_cards(orders)
        declined = [order for order in orders if order.status == OrderStatus.PAYMENT_FAILED]
        return self.render_to_response(
            self.get_context_data(
                orders=orders,
                declined=declined,
                revise_days=settings.PAYMENT_REVISE_DAYS,
                statuses=OrderStatus,
            )
        )
