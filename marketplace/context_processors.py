from django.utils.functional import SimpleLazyObject

from orders.cart import Cart
from orders.changelog import seller_version
from sellercentral.selectors import waiting_counts


def roles(request):
    """
    Tell templates which areas the signed-in user may enter (nav bar), how many units
    their cart holds (from the session: no query), and a seller what waits for their
    answer: buyer cancellation requests, messages and returns (the Seller Central
    badges: one query).
    """
    if hasattr(request, "_roles"):  # asked by the page cache's key, then by the template
        return request._roles
    request._roles = _roles(request)
    return request._roles


def _roles(request) -> dict[str, object]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    is_seller = signed_in and hasattr(user, "seller")
    context: dict[str, object] = {"is_seller": is_seller}
    if signed_in and hasattr(request, "session"):
        context["cart_count"] = len(Cart(request.session))
    if is_seller:  # counted when a page shows them: a page served from the cache does not
        seller_id = request.user.seller.pk
        context["waiting"] = SimpleLazyObject(lambda: waiting_counts(seller_id=seller_id))
    return context


def viewer_facts(request) -> tuple:
    """
    What every page's frame shows of the signed-in person (core.pagecache keys a cached
    page by it): their name and role links from ``base.html``, ``roles`` above, a seller's
    store name (Seller Central's sub-navigation) and, for the badges, the version of all
    the seller's orders (orders.changelog), which any change to what they count changes.
    """
    user = request.user
    shown = roles(request)
    seller = user.seller if shown["is_seller"] else None
    return (
        user.get_full_name(),
        user.get_username(),
        user.is_staff,
        shown["is_seller"],
        seller and seller.store_name,  # Seller Central's sub-nav
        shown.get("cart_count"),
        seller and seller_version(request, seller.pk),
    )
