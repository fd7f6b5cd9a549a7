from orders.cart import Cart
from sellercentral.selectors import waiting_counts


def roles(request):
    """
    Tell templates which areas the signed-in user may enter (nav bar), how many units
    their cart holds (from the session: no query), and a seller what waits for their
    answer: buyer cancellation requests, messages and returns (the Seller Central
    badges: one query).
    """
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    is_seller = signed_in and hasattr(user, "seller")
    context = {"is_seller": is_seller}
    if signed_in and hasattr(request, "session"):
        context["cart_count"] = len(Cart(request.session))
    if is_seller:
        context["waiting"] = waiting_counts(seller_id=user.seller.pk)
    return context


def viewer_facts(request) -> tuple:
    """
    What every page's frame shows of the signed-in person (core.pagecache keys a cached
    page by it): their name and role links from ``base.html``, and ``roles`` above.
    """
    user = request.user
    shown = roles(request)
    return (
        user.get_full_name(),
        user.get_username(),
        user.is_staff,
        shown["is_seller"],
        shown.get("cart_count"),
        shown.get("waiting"),
    )
