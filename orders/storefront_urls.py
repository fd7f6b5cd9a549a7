from django.urls import path

from .views import elements, shop, storefront

app_name = "storefront"

urlpatterns = [
    path("listings/", shop.ShopView.as_view(), name="shop"),
    path("listings/<int:pk>/", shop.ListingView.as_view(), name="listing"),
    path("stores/<int:pk>/", shop.StoreView.as_view(), name="store"),
    path("cart/", storefront.CartView.as_view(), name="cart"),
    path("cart/add/", storefront.CartAddView.as_view(), name="cart_add"),
    path("cart/remove/", storefront.CartRemoveView.as_view(), name="cart_remove"),
    path("checkout/", storefront.CheckoutView.as_view(), name="checkout"),
    path("checkout/placed/", storefront.OrderPlacedView.as_view(), name="order_placed"),
    # Stripe Elements: a SetupIntent's secret for the card element (POST, JSON).
    path("checkout/card-setup/", elements.CardSetupView.as_view(), name="card_setup"),
]
