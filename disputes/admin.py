"""
Cases in Django admin: staff read a case, its thread, the order's timeline and its
money, and decide through object buttons.

Every field is read-only (the status above all): a decision is a button that opens a
confirmation page (GET shows the form, POST calls one service, the same the tests
call), so it locks the order, writes the audit row, queues the refund and the emails
like every other change. Only staff with ``disputes.resolve_dispute`` see the buttons
or reach their pages; anyone else gets 403.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_FACETS_VAR
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core import pagecache
from core.admin import BoundedCountPaginator, ReadOnlyAdminMixin, ReadOnlyInline
from core.formatting import format_placed, format_when, iso, money
from core.rowversions import Rows
from orders.actors import Actor, signed_in_user
from orders.events import Reader, render

from . import services
from .changelog import cases_version
from .forms import DecisionNoteForm, InformationRequestForm, InternalNoteForm, ResolveForBuyerForm
from .models import Dispute, DisputeMessage
from .selectors import money_summary
from .services import RESOLVE_PERMISSION, DisputeError, StaleConfirmation


class StatusFilter(admin.SimpleListFilter):
    """
    The status, opening on staff's queue: the list without a status chosen shows the
    cases under review; "All" (``?status=all``) shows every case. A search looks through
    every case, so a case is found by its order number whatever its status.
    """

    title = "status"
    parameter_name = "status"
    ALL = "all"
    DEFAULT = Dispute.Status.UNDER_REVIEW

    def __init__(self, request, params, model, model_admin):
        self.searching = bool(request.GET.get(SEARCH_VAR, "").strip())
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return Dispute.Status.choices

    def value(self):
        chosen = super().value()
        if chosen is None and not self.searching:
            return self.DEFAULT
        return chosen

    def choices(self, changelist):
        value = self.value()
        yield {
            "selected": value in (None, self.ALL),
            "query_string": changelist.get_query_string({self.parameter_name: self.ALL}),
            "display": "All",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value in Dispute.Status.values:
            return queryset.filter(status=value)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    """How long ago the buyer opened the case."""

    title = "age"
    parameter_name = "age"
    BANDS = {
        "lt2": ("Under 2 days", 0, 2),
        "2to7": ("2–7 days", 2, 7),
        "7to30": ("7–30 days", 7, 30),
        "gt30": ("Over 30 days", 30, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _low, _high) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.BANDS:
            return queryset
        _label, low, high = self.BANDS[self.value()]
        now = timezone.now()
        queryset = queryset.filter(created_at__lte=now - timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=high))
        return queryset


class DisputeMessageInline(ReadOnlyInline):
    """The whole thread, internal notes included; read-only (notes go through a button)."""

    model = DisputeMessage
    fields = ("created_at", "role", "author", "internal", "body")
    readonly_fields = fields
    verbose_name_plural = "messages and internal notes"


# The case page's sections and their (read-only) fields, in order.
CASE_SECTIONS: dict[str | None, tuple[str, ...]] = {
    None: ("order", "return_request", "buyer", "seller", "reason", "status", "description"),
    "Deadlines and escalation": (
        "created_at",
        "respond_by",
        "escalated",
        "escalated_by",
        "escalated_at",
        "seller_unresponsive",
        "information_requested_at",
    ),
    "Offer": ("offer_kind", "offer_amount", "offered_at"),
    "Decision": ("refund_amount", "decision_note", "decided_by", "resolved_at"),
    "Order": ("payment_summary", "order_timeline"),
}


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: decisions go through the buttons below (each runs one service)."""

    change_form_template = "disputes/admin/dispute_change_form.html"
    view_on_site = False  # the case page is the parties' only; staff work here
    list_display = [
        "case",
        "order_number",
        "reason",
        "status",
        "buyer",
        "store",
        "opened",
        "answer_due",
    ]
    list_filter = [StatusFilter, "reason", "escalated", "seller_unresponsive", AgeFilter]
    list_select_related = ["order", "buyer", "seller"]
    search_fields = [
        "=order__number",
        "buyer__username",
        "buyer__email",
        "seller__user__username",
        "seller__store_name",
    ]
    # The age filter says how old a case is; a date drill-down would cost the list two
    # more queries (first and last day, then the days) on every load.
    # One COUNT, not two: "n of all" under a search or filter is not worth a query.
    show_full_result_count = False
    paginator = BoundedCountPaginator  # never a full COUNT(*) of the cases (core.admin)
    fieldsets = [(name, {"fields": names}) for name, names in CASE_SECTIONS.items()]
    readonly_fields = tuple(name for names in CASE_SECTIONS.values() for name in names)
    inlines = [DisputeMessageInline]

    # --- Columns and read-only fields ------------------------------------------------------
    @admin.display(description="case", ordering="pk")
    def case(self, obj):
        return f"Case {obj.pk}"

    @admin.display(description="order", ordering="order__number")
    def order_number(self, obj):
        return _one_line(obj.order.number)

    @admin.display(description="opened", ordering="created_at")
    def opened(self, obj):
        return _one_line(format_placed(obj.created_at))

    @admin.display(description="seller's answer due", ordering="respond_by")
    def answer_due(self, obj):
        # Only while the seller owes one (escalation and the seller's silence are
        # filters, and the status says "Under review by the marketplace").
        return _one_line(format_when(obj.next_deadline)) if obj.next_deadline else "—"

    @admin.display(description="store", ordering="seller__store_name")
    def store(self, obj):
        return obj.seller.store_name

    @admin.display(description="payment")
    def payment_summary(self, obj):
        summary = money_summary(obj.order)
        rows = [
            ("Charged (captured)", summary.captured),
            ("Refunded", summary.refunded),
            ("Refund pending", summary.pending_refunds),
            ("Still refundable", summary.refundable),
            ("Charged for items not yet shipped", summary.unshipped),
            ("On hold, not charged", summary.on_hold),
        ]
        return format_html(
            '<table data-testid="payment-summary">{}</table>',
            format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", ((k, money(v)) for k, v in rows)
            ),
        )

    @admin.display(description="order timeline")
    def order_timeline(self, obj):
        rows = (
            (iso(e.created_at), format_when(e.created_at), e.actor_role, render(e, Reader.STAFF))
            for e in obj.order.events.order_by("created_at", "pk")
        )
        return format_html(
            '<ol data-testid="order-timeline">{}</ol>',
            format_html_join("", '<li><time datetime="{}">{}</time> ({}): {}</li>', rows),
        )

    # --- Object buttons ------------------------------------------------------------------------
    def get_urls(self):
        def view(name):
            return self.admin_site.admin_view(getattr(self, f"{name}_view"))

        return [
            path(
                "<path:object_id>/resolve-for-buyer/",
                view("resolve_for_buyer"),
                name="disputes_dispute_resolve_for_buyer",
            ),
            path(
                "<path:object_id>/resolve-for-seller/",
                view("resolve_for_seller"),
                name="disputes_dispute_resolve_for_seller",
            ),
            path(
                "<path:object_id>/ask-seller/",
                view("ask_seller"),
                name="disputes_dispute_ask_seller",
            ),
            path(
                "<path:object_id>/add-note/",
                view("add_note"),
                name="disputes_dispute_add_note",
            ),
            *super().get_urls(),
        ]

    # --- The list, from the page cache ------------------------------------------------------
    def changelist_view(self, request, extra_context=None):
        """
        Staff's queue from the page cache (core.pagecache) while no case, nor a name it
        shows, has changed (one version for all cases, disputes.changelog) and the staff
        member's permissions are the same (the nav sidebar lists what they may view).
        Rendered each time: a list filtered by age, whose bands move with the clock, and
        facet counts (``_facets``).
        """
        # No permission check first: an entry is stored only by a 200, and its key holds
        # the viewer's permissions (``queue_versions``), so a hit was allowed as it is.
        if request.method != "GET" or {IS_FACETS_VAR, AgeFilter.parameter_name} & set(request.GET):
            return super().changelist_view(request, extra_context)
        return pagecache.serve(
            request,
            name="dispute_changelist",
            versions=lambda: queue_versions(request),
            render=lambda: super(DisputeAdmin, self).changelist_view(request, extra_context),
            facts=(request.user.is_superuser,),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        can_resolve = request.user.has_perm(RESOLVE_PERMISSION)
        return super().change_view(
            request,
            object_id,
            form_url,
            extra_context={"can_resolve": can_resolve, **(extra_context or {})},
        )

    def resolve_for_buyer_view(self, request, object_id):
        def run(dispute, form, actor):
            services.resolve_for_buyer(
                dispute_id=dispute.pk,
                money_seen=form.money_seen,
                amount=form.partial_amount,
                note=form.cleaned_data["note"],
                actor=actor,
            )
            return f"Case {dispute.pk} decided for the buyer; the refund is on its way."

        return self._action(request, object_id, ResolveForBuyerForm, run, "Resolve for buyer")

    def resolve_for_seller_view(self, request, object_id):
        def run(dispute, form, actor):
            services.resolve_for_seller(
                dispute_id=dispute.pk, note=form.cleaned_data["note"], actor=actor
            )
            return f"Case {dispute.pk} decided for the seller."

        return self._action(request, object_id, DecisionNoteForm, run, "Resolve for seller")

    def ask_seller_view(self, request, object_id):
        def run(dispute, form, actor):
            services.ask_seller_for_information(
                dispute_id=dispute.pk, note=form.cleaned_data["note"], actor=actor
            )
            return f"The seller of case {dispute.pk} was asked for information."

        return self._action(
            request, object_id, InformationRequestForm, run, "Ask seller for information"
        )

    def add_note_view(self, request, object_id):
        def run(dispute, form, actor):
            services.post_message(
                dispute_id=dispute.pk, body=form.cleaned_data["note"], actor=actor, internal=True
            )
            return "Internal note added."

        return self._action(
            request, object_id, InternalNoteForm, run, "Add internal note", needs_active=False
        )

    def _action(
        self,
        request: HttpRequest,
        object_id: str,
        form_class: type[forms.Form],
        run: Callable[[Dispute, Any, Actor], str],
        title: str,
        *,
        needs_active: bool = True,
    ) -> HttpResponse:
        """GET: the confirmation page with its form. POST: validate, run one service."""
        if not request.user.has_perm(RESOLVE_PERMISSION):
            raise PermissionDenied
        dispute = self._case(request, object_id)
        page = partial(self._confirmation, request, title=title)
        if needs_active and not dispute.is_active:
            messages.error(request, f"This case is closed: {dispute.get_status_display()}.")
            return redirect(_change_url(dispute))
        if request.method != "POST":
            return page(dispute, lambda shown: form_class(initial=shown))
        form = form_class(request.POST)
        if not form.is_valid():
            return page(dispute, lambda _shown: form, status=400)
        try:
            done = run(dispute, form, Actor.staff(signed_in_user(request)))
        except StaleConfirmation as stale:
            # The figures moved: the page shows the new ones, the form carries them, and
            # what staff wrote stays.
            words = str(stale)
            return page(
                self._case(request, object_id),
                lambda shown: _with_error(form_class({**request.POST.dict(), **shown}), words),
                status=409,
            )
        except DisputeError as error:
            form.add_error(None, str(error))
            return page(dispute, lambda _shown: form, status=400)
        messages.success(request, done)
        return redirect(_change_url(dispute))

    def _case(self, request: HttpRequest, object_id: str) -> Dispute:
        dispute = self.get_object(request, object_id)
        if dispute is None:
            raise Http404("No such case.")
        return dispute

    def _confirmation(
        self,
        request: HttpRequest,
        dispute: Dispute,
        form_for: Callable[[dict[str, Any]], forms.Form],
        *,
        title: str,
        status: int = 200,
    ) -> TemplateResponse:
        """The confirmation page: the case's money now, and ``form_for`` the figures shown."""
        money = money_summary(dispute.order)
        # The figures the page shows, for its form to carry back (``MoneySeen``).
        shown = ResolveForBuyerForm.initial_for(money)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": dispute,
            "title": f"{title}: case {dispute.pk}",
            "action_title": title,
            "form": form_for(shown),
            "money": money,
            "change_url": _change_url(dispute),
        }
        return TemplateResponse(
            request, "disputes/admin/confirm_action.html", context, status=status
        )


# A staff member's permissions, their own and their groups' (a permission given or taken
# adds or removes a row here): what admin shows and offers follows them.
STAFF_PERMISSIONS = Rows(
    lambda user_id: Permission.objects.filter(Q(user=user_id) | Q(group__user=user_id)),
    owned_depth=0,
)


def queue_versions(request: HttpRequest) -> str | None:
    """What the dispute list shows, as versions: every case, and your permissions."""
    cases = cases_version()
    permissions = STAFF_PERMISSIONS.versions(signed_in_user(request).pk)
    return None if cases is None or permissions is None else f"{cases}#{permissions}"


def _change_url(dispute: Dispute) -> str:
    return reverse("admin:disputes_dispute_change", args=[dispute.pk])


def _with_error(form: forms.Form, words: str) -> forms.Form:
    """``form`` validated, with ``words`` above its fields."""
    form.is_valid()
    form.add_error(None, words)
    return form


def _one_line(text: str):
    """A changelist cell that never wraps (an order number or a date broken over lines)."""
    return format_html('<span class="nowrap">{}</span>', text)
