"""
The account page (docs/DESIGN.md §16): one page of small forms, each posting to its own
URL and calling one service. An invalid form shows the page again with its errors; another
person's address is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from core.addresses import ADDRESS_FIELDS, AddressFieldsForm

from . import selectors, services
from .forms import CloseAccountForm, NameForm, TimeZoneForm
from .models import Address
from .time_zones import remember_zone


def _time_zone_form(request, data=None) -> TimeZoneForm:
    return TimeZoneForm(
        data,
        initial={"time_zone": selectors.chosen_zone(request.user)},
        site_zone=settings.DISPLAY_TIME_ZONE,
    )


def _home(request, **forms):
    """The account page, with any form the person just posted in place of a fresh one."""
    user = request.user
    context = {
        "name_form": NameForm(initial={"first_name": user.first_name, "last_name": user.last_name}),
        "time_zone_form": _time_zone_form(request),
        "address_form": AddressFieldsForm(initial={"name": user.get_full_name()}),
        "addresses": list(selectors.addresses_of(user)),
        "email_verified": selectors.has_verified_email(user),
        **forms,
    }
    return render(request, "accounts/home.html", context)


def _own_address(request, pk: int) -> Address:
    return get_object_or_404(selectors.addresses_of(request.user), pk=pk)


class AccountHomeView(LoginRequiredMixin, View):
    http_method_names = ["get"]

    def get(self, request):
        return _home(request)


class NameView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = NameForm(request.POST)
        if not form.is_valid():
            return _home(request, name_form=form)
        services.update_name(user_id=request.user.pk, **form.cleaned_data)
        messages.success(request, "Your name is saved.")
        return redirect("accounts:home")


class TimeZoneView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = _time_zone_form(request, request.POST)
        if not form.is_valid():
            return _home(request, time_zone_form=form)
        services.set_time_zone(user_id=request.user.pk, time_zone=form.cleaned_data["time_zone"])
        remember_zone(request, request.user)  # this session's pages follow at once
        messages.success(request, "Dates and times now show in your chosen zone.")
        return redirect("accounts:home")


class AddressAddView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = AddressFieldsForm(request.POST)
        if not form.is_valid():
            return _home(request, address_form=form)
        try:
            services.save_address(user_id=request.user.pk, **form.address_data())
        except services.AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The address is saved.")
        return redirect("accounts:home")


class AddressEditView(LoginRequiredMixin, View):
    """GET shows the address's form; POST saves it."""

    http_method_names = ["get", "post"]

    def get(self, request, pk: int):
        address = _own_address(request, pk)
        initial = {name: getattr(address, name) for name in ADDRESS_FIELDS}
        return self._page(request, address, AddressFieldsForm(initial=initial))

    def post(self, request, pk: int):
        address = _own_address(request, pk)
        form = AddressFieldsForm(request.POST)
        if not form.is_valid():
            return self._page(request, address, form)
        try:
            services.save_address(
                user_id=request.user.pk, address_id=address.pk, **form.address_data()
            )
        except Address.DoesNotExist:  # deleted in another tab meanwhile
            raise Http404 from None
        messages.success(request, "The address is saved.")
        return redirect("accounts:home")

    def _page(self, request, address, form):
        return render(request, "accounts/address_edit.html", {"address": address, "form": form})


class _AddressActionView(LoginRequiredMixin, View):
    """A button on one of the person's addresses: POST runs ``act``, then says ``done``."""

    http_method_names = ["post"]
    done: str

    def post(self, request, pk: int):
        address = _own_address(request, pk)
        try:
            self.act(user_id=request.user.pk, address_id=address.pk)
        except Address.DoesNotExist:  # deleted in another tab meanwhile
            raise Http404 from None
        messages.success(request, self.done.format(address=address))
        return redirect("accounts:home")

    def act(self, *, user_id: int, address_id: int) -> object:
        raise NotImplementedError


class AddressDeleteView(_AddressActionView):
    done = "Deleted the address “{address}”."

    def act(self, *, user_id: int, address_id: int) -> object:
        return services.delete_address(user_id=user_id, address_id=address_id)


class AddressDefaultView(_AddressActionView):
    done = "Checkout now offers “{address}” first."

    def act(self, *, user_id: int, address_id: int) -> object:
        return services.make_default_address(user_id=user_id, address_id=address_id)


class CloseAccountView(LoginRequiredMixin, View):
    """GET says what closing does, or what keeps the account open; POST closes it."""

    http_method_names = ["get", "post"]

    def get(self, request):
        return self._page(request, CloseAccountForm(user=request.user))

    def post(self, request):
        form = CloseAccountForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._page(request, form)
        try:
            services.close_account(user_id=request.user.pk)
        except services.AccountHasOpenThings as refused:
            messages.error(request, str(refused))
            return self._page(request, form, blockers=refused.blockers)
        logout(request)
        messages.success(request, "Your account is closed. We emailed you a confirmation.")
        return redirect("home")

    def _page(self, request, form, blockers=None):
        if blockers is None:
            blockers = selectors.closing_blockers(request.user)
        return render(request, "accounts/close.html", {"form": form, "blockers": blockers})
