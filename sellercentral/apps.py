from django.apps import AppConfig
from django.urls import reverse


def order_url(number: str) -> str:
    return reverse("sellercentral:order", args=[number])


class SellerCentralConfig(AppConfig):
    """
    Every Seller Central page: the home (account health), orders, an order's page (ship,
    cancel, messages), the bulk cancel, the buyers' requests and messages.
    """

    name = "sellercentral"
    verbose_name = "Seller Central"

    def ready(self) -> None:
        from orders import links

        from . import closing  # noqa: F401 - a closed account's store closes

        # The lower apps' emails and pages link sellers to an order through this.
        links.seller_order_page(order_url)
