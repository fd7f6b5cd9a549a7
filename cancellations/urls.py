from django.urls import path

from . import seller_views, views

app_name = "cancellations"

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
    # Seller Central
    path(
        "seller/orders/<order_number:number>/cancel/",
        seller_views.SellerCancelView.as_view(),
        name="seller_cancel",
    ),
    path(
        "seller/orders/<order_number:number>/cancel-items/",
        seller_views.SellerCancelView.as_view(choose_all=False),
        name="seller_cancel_items",
    ),
    path(
        "seller/orders/<order_number:number>/cancel/confirm/",
        seller_views.SellerConfirmCancelView.as_view(),
        name="seller_confirm_cancel",
    ),
    path(
        "seller/orders/bulk-cancel/",
        seller_views.BulkCancelView.as_view(),
        name="seller_bulk_cancel",
    ),
    path(
        "seller/orders/bulk-cancel/confirm/",
        seller_views.BulkConfirmCancelView.as_view(),
        name="seller_bulk_confirm_cancel",
    ),
    path(
        "seller/cancellation-requests/",
        seller_views.SellerRequestsView.as_view(),
        name="seller_requests",
    ),
    path(
        "seller/cancellation-requests/<int:request_id>/approve/",
        seller_views.ApproveRequestView.as_view(),
        name="approve_request",
    ),
    path(
        "seller/cancellation-requests/<int:request_id>/decline/",
        seller_views.DeclineRequestView.as_view(),
        name="decline_request",
    ),
]
