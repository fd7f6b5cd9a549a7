from django.urls import path

from .views import bulk_cancel, cancel, home, messages, order, orders, requests, returns, store

app_name = "sellercentral"

# Every Seller Central page under /seller/. Order numbers look like 123-4567890-1234;
# views look them up by number AND seller (else 404).
urlpatterns = [
    path("seller/", home.SellerHomeView.as_view(), name="home"),
    # Seller Central's front door: a customer opens a store; then the store's settings.
    path("seller/start/", store.StartSellingView.as_view(), name="start"),
    path("seller/store/", store.StoreSettingsView.as_view(), name="store"),
    path("seller/orders/", orders.SellerOrdersView.as_view(), name="orders"),
    path("seller/messages/", messages.SellerMessagesView.as_view(), name="messages"),
    # An order's page and what is done from it
    path(
        "seller/orders/<order_number:number>/", order.SellerOrderDetailView.as_view(), name="order"
    ),
    path(
        "seller/orders/<order_number:number>/prepare/",
        order.SellerStartPreparingView.as_view(),
        name="start_preparing",
    ),
    path(
        "seller/orders/<order_number:number>/ship/",
        order.SellerConfirmShipmentView.as_view(),
        name="confirm_shipment",
    ),
    path(
        "seller/orders/<order_number:number>/messages/",
        order.SellerOrderMessageView.as_view(),
        name="order_message",
    ),
    path(
        "seller/orders/<order_number:number>/cancel/",
        cancel.SellerCancelView.as_view(),
        name="cancel_order",
    ),
    path(
        "seller/orders/<order_number:number>/cancel-items/",
        cancel.SellerCancelView.as_view(choose_all=False),
        name="cancel_items",
    ),
    path(
        "seller/orders/<order_number:number>/cancel/confirm/",
        cancel.SellerConfirmCancelView.as_view(),
        name="confirm_cancel",
    ),
    # The order list's bulk cancel
    path("seller/orders/bulk-cancel/", bulk_cancel.BulkCancelView.as_view(), name="bulk_cancel"),
    path(
        "seller/orders/bulk-cancel/confirm/",
        bulk_cancel.BulkConfirmCancelView.as_view(),
        name="bulk_confirm_cancel",
    ),
    # The buyers' cancellation requests
    path("seller/cancellation-requests/", requests.SellerRequestsView.as_view(), name="requests"),
    path(
        "seller/cancellation-requests/<int:request_id>/approve/",
        requests.ApproveRequestView.as_view(),
        name="approve_request",
    ),
    path(
        "seller/cancellation-requests/<int:request_id>/decline/",
        requests.DeclineRequestView.as_view(),
        name="decline_request",
    ),
    # The buyers' returns: the queue, a return's page and what the seller does there
    path("seller/returns/", returns.SellerReturnsView.as_view(), name="returns"),
    path(
        "seller/returns/<int:return_id>/", returns.SellerReturnDetailView.as_view(), name="return"
    ),
    path(
        "seller/returns/<int:return_id>/authorize/",
        returns.AuthorizeReturnView.as_view(),
        name="authorize_return",
    ),
    path(
        "seller/returns/<int:return_id>/close/",
        returns.CloseReturnView.as_view(),
        name="close_return",
    ),
    path(
        "seller/returns/<int:return_id>/receive/",
        returns.ReceiveReturnView.as_view(),
        name="receive_return",
    ),
]
