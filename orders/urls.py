from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("your-orders/", views.YourOrdersView.as_view(), name="your_orders"),
    path("seller/orders/", views.SellerOrdersView.as_view(), name="seller_orders"),
]
