from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("seller/inventory/", views.InventoryView.as_view(), name="inventory"),
    path(
        "seller/inventory/<int:pk>/edit/",
        views.InventoryEditView.as_view(),
        name="inventory_edit",
    ),
    path("seller/listings/new/", views.ListingCreateView.as_view(), name="listing_create"),
    path("seller/listings/<int:pk>/edit/", views.ListingEditView.as_view(), name="listing_edit"),
    # A photo's buttons on the listing's edit page (POST only).
    path("seller/photos/<int:pk>/move/", views.PhotoMoveView.as_view(), name="photo_move"),
    path("seller/photos/<int:pk>/remove/", views.PhotoRemoveView.as_view(), name="photo_remove"),
]
