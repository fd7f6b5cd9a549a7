from django.urls import path

from .views import buyer

app_name = "orders"

# Order numbers look like 123-4567890-1234; views look them up by number AND owner (else 404).
# The storefront routes (cart, checkout, order placed) live in orders/storefront_urls.py;
# the seller's order pages are Seller Central's (sellercentral/urls.py).
urlpatterns = [
    # Your Orders
    path("your-orders/", buyer.YourOrdersView.as_view(), name="your_orders"),
    # 3-D Secure: ?order=<number> for each order whose bank wants the buyer to confirm.
    path(
        "your-orders/confirm-payment/",
        buyer.ConfirmPaymentView.as_view(),
        name="confirm_payment",
    ),
    path(
        "your-orders/<order_number:number>/",
        buyer.OrderDetailView.as_view(),
        name="order_detail",
    ),
    path(
        "your-orders/<order_number:number>/revise-payment/",
        buyer.RevisePaymentView.as_view(),
        name="revise_payment",
    ),
    path(
        "your-orders/<order_number:number>/messages/",
        buyer.OrderMessageView.as_view(),
        name="order_message",
    ),
]
