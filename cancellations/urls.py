from django.urls import path

from . import views

app_name = "cancellations"

# The buyer's pages; the seller's (cancel, requests, bulk cancel) are Seller Central's
# (sellercentral/urls.py).
urlpatterns = [
    path(
        "your-orders/<order_number:number>/cancel/",
        views.CancelItemsView.as_view(),
        name="cancel_items",
    ),
    path(
        "your-orders/<order_number:number>/cancel/confirm/",
        views.ConfirmCancellationView.as_view(),
        name="confirm",
    ),
    path(
        "your-orders/<order_number:number>/cancellation-requests/<int:request_id>/withdraw/",
        views.WithdrawRequestView.as_view(),
        name="withdraw_request",
    ),
]
