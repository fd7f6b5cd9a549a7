def roles(request):
    """Tell templates which areas the signed-in user may enter (nav bar)."""
    user = getattr(request, "user", None)
    is_seller = bool(user and user.is_authenticated and hasattr(user, "seller"))
    return {"is_seller": is_seller}
