from django.urls import path

from .views import home, messages, orders

app_name = "sellercentral"

# The order pages, the requests and the bulk cancel under /seller/ stay with their apps
# (orders.urls, cancellations.urls); these paths are the ones Seller Central had from the start.
urlpatterns = [
    path("seller/", home.SellerHomeView.as_view(), name="home"),
    path("seller/orders/", orders.SellerOrdersView.as_view(), name="orders"),
    path("seller/messages/", messages.SellerMessagesView.as_view(), name="messages"),
]
