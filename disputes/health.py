"""The Resolution Center's part of a seller's account health: the order defect rate."""

from datetime import datetime

from cancellations import health
from catalog.models import Seller

from .selectors import order_defect_rate


@health.metric_source("order_defect_rate")
def order_defect_metric(seller: Seller, now: datetime) -> health.Metric:
    rate = order_defect_rate(seller, days=health.ORDER_DEFECT_DAYS, now=now)
    return health.defect_metric(defects=rate.defects, orders=rate.orders)
