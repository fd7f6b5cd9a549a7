"""
Staff's queue of cases in Django admin is cached under one version for all cases (the
orders' change log, kind ``CASES``): any statement that changes a case, or a name the queue
shows (a buyer's, a store's), adds to it. Cases change a few times a day each; the queue is
opened many times between.
"""

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Model
from django.db.models.signals import post_migrate

from catalog.models import Seller
from core.changelog import any_change_sql, run
from orders.changelog import ORDER_LOG, USER_NAMES
from orders.models import OrderChange

from .models import Dispute

CASES = OrderChange.Kind.CASES


def cases_version() -> int | None:
    """The version of every case and what the queue shows of it; None without a log."""
    return ORDER_LOG.version(CASES, 0)


def install_triggers(sender, using: str = "default", **_kwargs) -> None:
    """After each ``migrate``: the triggers (core.changelog.install's, for this queue)."""
    if sender.label != "disputes":
        return
    quote = connections[using].ops.quote_name
    shown: dict[type[Model], tuple[str, ...]] = {
        Dispute: (),  # any column: the queue shows and filters by most of them
        get_user_model(): USER_NAMES,  # the queue shows and searches them
        Seller: ("store_name",),
    }
    triggers = {
        model: any_change_sql(
            ORDER_LOG, model, kind=CASES, name="cases", columns=columns, quote=quote
        )
        for model, columns in shown.items()
    }
    run(ORDER_LOG, triggers, using)


post_migrate.connect(install_triggers, dispatch_uid="disputes.changelog")
