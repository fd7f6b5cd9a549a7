from django.urls import path

from . import views

app_name = "returns"

# The buyer's pages; the seller's (authorize, close, receive) are Seller Central's
# (sellercentral/urls.py).
urlpatterns = [
    path(
        "your-orders/<order_number:number>/return/",
        views.ReturnItemsView.as_view(),
        name="return_items",
    ),
    path(
        "your-orders/<order_number:number>/return/confirm/",
        views.ConfirmReturnView.as_view(),
        name="confirm",
    ),
    path("returns/<int:pk>/", views.ReturnDetailView.as_view(), name="detail"),
    path("returns/<int:pk>/tracking/", views.AddTrackingView.as_view(), name="tracking"),
    path("returns/<int:pk>/withdraw/", views.WithdrawReturnView.as_view(), name="withdraw"),
]
