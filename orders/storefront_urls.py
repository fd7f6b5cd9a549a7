from django.urls import path

from .views import storefront

app_name = "storefront"

urlpatterns = [
    path("cart/", storefront.CartView.as_view(), name="cart"),
    path("cart/add/", storefront.CartAddView.as_view(), name="cart_add"),
    path("cart/remove/", storefront.CartRemoveView.as_view(), name="cart_remove"),
    path("checkout/", storefront.CheckoutView.as_view(), name="checkout"),
    path("checkout/placed/", storefront.OrderPlacedView.as_view(), name="order_placed"),
]
