from cancellations.selectors import pending_request_count


def roles(request):
    """
    Tell templates which areas the signed-in user may enter (nav bar), and a seller how
    many buyer cancellation requests wait for an answer (the nav badge: one COUNT).
    """
    user = getattr(request, "user", None)
    is_seller = bool(user and user.is_authenticated and hasattr(user, "seller"))
    context = {"is_seller": is_seller}
    if is_seller:
        context["pending_request_count"] = pending_request_count(seller_id=user.seller.pk)
    return context
