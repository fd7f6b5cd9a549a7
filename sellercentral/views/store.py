"""
Start selling (Seller Central's front door) and the store's settings.

"Start selling" opens a store for a signed-in customer whose email address is confirmed;
then Seller Central is theirs. Thin adapters over ``catalog.services.open_store`` and
``update_store``; the confirmed-email gate is asked here, where accounts can be read.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.generic import FormView

from accounts.selectors import has_verified_email
from catalog import services
from catalog.access import SellerRequiredMixin
from catalog.forms import StoreForm
from catalog.models import Seller
from orders.actors import signed_in_user


def store_refused(form: StoreForm, refused: services.StoreRefused) -> None:
    form.add_error(refused.field, str(refused))


class StartSellingView(LoginRequiredMixin, FormView):
    """Open a store: its name, return address, default handling days and policies."""

    template_name = "sellercentral/start.html"
    form_class = StoreForm
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            if hasattr(request.user, "seller"):
                return redirect("sellercentral:home")
            if not has_verified_email(request.user):
                # Refused, on GET and POST alike, until the address is confirmed.
                return TemplateResponse(request, "sellercentral/start_unverified.html")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return {"return_name": signed_in_user(self.request).get_full_name()}

    def form_valid(self, form: StoreForm) -> HttpResponse:
        try:
            seller = services.open_store(
                user_id=signed_in_user(self.request).pk, details=form.details()
            )
        except services.AlreadyHasStore:  # opened from another tab meanwhile
            return redirect("sellercentral:home")
        except services.StoreRefused as refused:
            store_refused(form, refused)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Your store “{seller.store_name}” is open. Add your first listing from Inventory.",
        )
        return redirect("sellercentral:home")


class StoreSettingsView(SellerRequiredMixin, FormView):
    """The store's name, return address, default handling days and policies."""

    template_name = "sellercentral/store_settings.html"
    form_class = StoreForm

    def get_form_kwargs(self) -> dict[str, Any]:
        # A copy of the row: the form fills it while validating; the service saves.
        return {
            **super().get_form_kwargs(),
            "instance": Seller.objects.get(pk=self.seller.pk),
        }

    def form_valid(self, form: StoreForm) -> HttpResponse:
        try:
            services.update_store(seller_id=self.seller.pk, details=form.details())
        except services.StoreRefused as refused:
            store_refused(form, refused)
            return self.form_invalid(form)
        messages.success(self.request, "Store settings saved.")
        return redirect("sellercentral:store")
