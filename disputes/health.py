"""The Resolution Center's part of a seller's account health: the order defect rate."""

from datetime import datetime

from django.db.models import OuterRef, Subquery

from cancellations import health
from catalog.models import Seller

from .models import Dispute
from .selectors import order_defect_rate


@health.metric_source("order_defect_rate")
def order_defect_metric(seller: Seller, now: datetime) -> health.Metric:
    rate = order_defect_rate(seller, days=health.ORDER_DEFECT_DAYS, now=now)
    return health.defect_metric(defects=rate.defects, orders=rate.orders)


@health.version_source("cases")
def latest_case_change() -> Subquery:
    """A case decided (or changed) moves the defect rate: its ``updated_at`` says when."""
    cases = Dispute.objects.filter(seller=OuterRef("pk")).order_by("-updated_at")
    return Subquery(cases.values("updated_at")[:1])
