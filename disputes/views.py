"""
Resolution Center: the signed-in person's cases, a case page, and "Open a case".

Thin adapters: read through ``selectors`` (scoped to the buyer and the seller, so
anyone else's case is a 404), write through one ``services`` call per POST, and turn
its refusals into form errors or messages. GET never changes anything; every action
is a POST with Django's CSRF check.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser, User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from core import pagecache
from core.formatting import format_when
from orders.actors import Actor, signed_in_user
from orders.models import ActorRole
from orders.views.buyer import BuyerOrderMixin

from . import rules, selectors, services
from .forms import AcceptOfferForm, MessageForm, OfferForm, OpenCaseForm
from .models import Dispute
from .services import DisputeError, StaleConfirmation

CASES_PER_PAGE = 25


def viewer_of(case: Dispute, user: User | AnonymousUser) -> ActorRole:
    """Which side of the case the signed-in party is on (the selectors scope to one of the two)."""
    return ActorRole.BUYER if case.buyer_id == user.pk else ActorRole.SELLER


class CaseListView(LoginRequiredMixin, TemplateView):
    """
    The cases the user opened, and those about their store's orders (for a seller),
    each list a page at a time (``page`` and ``store_page``): a buyer with hundreds of
    cases gets the same page as one with a few.
    """

    template_name = "disputes/case_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        get = self.request.GET.get
        as_buyer = Paginator(selectors.cases_opened_by(user=user), CASES_PER_PAGE).get_page(
            get("page")
        )
        as_seller = None
        if hasattr(user, "seller"):  # read once: the nav reads the answer kept on the user
            as_seller = Paginator(
                selectors.cases_about_store_of(user=user), CASES_PER_PAGE
            ).get_page(get("store_page"))
        return super().get_context_data(as_buyer=as_buyer, as_seller=as_seller, **kwargs)


class OpenCaseView(BuyerOrderMixin, View):
    """
    Your Orders → order → Open a case (the order's buyer only; 404 for anyone else).
    Offers only the reasons ``rules.why_not`` allows now and says why the others are not.
    """

    template_name = "disputes/open_case.html"
    http_method_names = ["get", "post"]
    order_detailed = False  # its lines and parties; not the timeline

    def get(self, request, number):
        order = self.get_order()
        if active := self.active_case(order):
            messages.info(request, "This order already has an open case.")
            return redirect(active)
        reasons = self.reasons(order)
        form = self.form(reasons)
        # A link from an email or a return's page may name the reason ("Return refused"):
        # chosen beforehand only when it is one the order may be opened for now.
        if (asked := request.GET.get("reason")) in reasons.offered:
            form.initial["reason"] = asked
        return self.render_form(order, reasons, form)

    def post(self, request, number):
        order = self.get_order()
        reasons = self.reasons(order)
        form = self.form(reasons, request.POST)
        if not form.is_valid():
            return self.render_form(order, reasons, form, status=400)
        try:
            dispute = services.open_dispute(
                order_id=order.pk,
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
                actor=Actor.buyer(request.user),
            )
        except DisputeError as error:
            form.add_error(None, str(error))
            return self.render_form(order, reasons, form, status=400)
        messages.success(
            request,
            f"Case opened. {order.seller.store_name} has until "
            f"{format_when(dispute.respond_by)} to respond; we'll email you when they do.",
        )
        return redirect(dispute)

    @staticmethod
    def active_case(order):
        return next((case for case in selectors.cases_of_order(order) if case.is_active), None)

    @staticmethod
    def reasons(order) -> rules.ReasonsNow:
        return rules.reasons_now(selectors.opening_facts(order))

    @staticmethod
    def form(reasons: rules.ReasonsNow, data=None) -> OpenCaseForm:
        return OpenCaseForm(data, reasons=reasons.offered)

    def render_form(self, order, reasons: rules.ReasonsNow, form, status=200):
        context = {
            "order": order,
            "form": form,
            "reasons": reasons,
            "response_hours": settings.DISPUTE_SELLER_RESPONSE_HOURS,
        }
        return render(self.request, self.template_name, context, status=status)


class CaseMixin(LoginRequiredMixin):
    """The case named in the URL, if the signed-in person is its buyer or seller; else 404."""

    request: HttpRequest  # the view's, which this mixin is mixed into
    kwargs: dict[str, Any]

    def get_case(self) -> Dispute:
        try:
            case = selectors.case_for_party(user=signed_in_user(self.request), pk=self.kwargs["pk"])
        except Dispute.DoesNotExist:
            raise Http404("No case with that number in your account.") from None
        case.viewer = viewer_of(case, self.request.user)
        return case

    def actor(self, case: Dispute) -> Actor:
        if case.viewer == ActorRole.BUYER:
            return Actor.buyer(signed_in_user(self.request))
        return Actor.seller(signed_in_user(self.request))

    def render_case(self, case: Dispute, status=200, **forms):
        money = selectors.money_summary(case.order)
        context = {
            "case": case,
            "order": case.order,
            "money": money,
            "offer_refund": selectors.offer_refund(case, money),
            "viewer": case.viewer,
            "message_form": MessageForm(),
            "offer_form": OfferForm(),
            # The button shows only when the service would accept it; until then the
            # buyer reads when it will (``rules.why_not_escalate``).
            "can_escalate": rules.why_not_escalate(case, case.viewer) is None,
            "escalation_from": rules.buyer_may_escalate_from(case),
            **forms,
        }
        return render(self.request, "disputes/case_detail.html", context, status=status)


class CaseDetailView(CaseMixin, View):
    """
    Served from the page cache while the case's rows, its order's and its return's are
    unchanged (``selectors.case_rows``); the buyer's and the seller's pages are kept
    apart by the viewer in the key. What time alone changes (when the buyer may ask
    staff, the order turning late) the rules name as the page's deadlines.
    """

    http_method_names = ["get"]

    def get(self, request, pk):
        return pagecache.serve(
            request,
            name="case_page",
            versions=lambda: selectors.CASE_PAGE_ROWS.versions(request.user.pk, pk),
            render=lambda: self.render_case(self.get_case()),
        )


class CaseActionView(CaseMixin, View):
    """
    A POST that runs one service; a refusal becomes a message, a bad form re-renders,
    and a stale confirmation (the offer changed since the page showed it) re-renders the
    case as it is now, with 409.
    """

    http_method_names = ["post"]
    form_class: type[forms.Form] | None = None
    form_context_name = ""
    success_message = ""

    def post(self, request, pk):
        case = self.get_case()
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            return self.render_case(case, status=400, **{self.form_context_name: form})
        try:
            self.run(case, form)
        except StaleConfirmation as error:
            # Someone changed what the page showed: show it again, as it is now.
            messages.warning(request, str(error))
            return self.render_case(self.get_case(), status=409)
        except DisputeError as error:
            if form is None or not form.visible_fields():  # nothing typed to point the error at
                messages.error(request, str(error))
                return redirect(case)
            form.add_error(None, str(error))
            return self.render_case(case, status=400, **{self.form_context_name: form})
        messages.success(request, self.success_message)
        return redirect(case)

    def run(self, case: Dispute, form) -> None:
        raise NotImplementedError


class ReplyView(CaseActionView):
    form_class = MessageForm
    form_context_name = "message_form"
    success_message = "Message sent."

    def run(self, case, form):
        services.post_message(
            dispute_id=case.pk, body=form.cleaned_data["body"], actor=self.actor(case)
        )


class OfferView(CaseActionView):
    form_class = OfferForm
    form_context_name = "offer_form"
    success_message = "Offer sent to the buyer."

    def run(self, case, form):
        services.make_offer(
            dispute_id=case.pk,
            kind=form.cleaned_data["kind"],
            amount=form.cleaned_data["amount"],
            message=form.cleaned_data["message"],
            actor=self.actor(case),
        )


class AcceptOfferView(CaseActionView):
    form_class = AcceptOfferForm
    form_context_name = "accept_form"
    success_message = "You accepted the offer: the case is resolved and your refund is on its way."

    def run(self, case, form):
        services.accept_offer(
            dispute_id=case.pk,
            actor=self.actor(case),
            offer_seen=form.cleaned_data["offer"],
            refund_seen=form.cleaned_data["refund"],
        )


class WithdrawView(CaseActionView):
    success_message = "You withdrew the case."

    def run(self, case, form):
        services.withdraw(dispute_id=case.pk, actor=self.actor(case))


class EscalateView(CaseActionView):
    success_message = "Marketplace staff will review the case and decide; we'll email you."

    def run(self, case, form):
        services.escalate(dispute_id=case.pk, actor=self.actor(case))
