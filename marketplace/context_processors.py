from cancellations.selectors import pending_request_count
from orders.cart import Cart


def roles(request):
    """
    Tell templates which areas the signed-in user may enter (nav bar), how many units
    their cart holds (from the session: no query), and a seller how many buyer
    cancellation requests wait for an answer (the nav badge: one COUNT).
    """
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    is_seller = signed_in and hasattr(user, "seller")
    context = {"is_seller": is_seller}
    if signed_in and hasattr(request, "session"):
        context["cart_count"] = len(Cart(request.session))
    if is_seller:
        context["pending_request_count"] = pending_request_count(seller_id=user.seller.pk)
    return context
