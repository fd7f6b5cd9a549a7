"""
A seller closing their account closes their store (registered in
``SellerCentralConfig.ready``; docs/DESIGN.md §16). The store's name stays on its past
orders.
"""

from django.contrib.auth.models import User

from accounts.closing import on_close
from catalog.models import Seller
from catalog.services import close_store


@on_close
def close_sellers_store(user: User) -> None:
    seller_id = Seller.objects.filter(user=user).values_list("pk", flat=True).first()
    if seller_id is not None:
        close_store(seller_id=seller_id)
