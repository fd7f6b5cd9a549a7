from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("listings/", views.ListingListView.as_view(), name="listing_list"),
    path("listings/<int:pk>/", views.ListingDetailView.as_view(), name="listing"),
    path("seller/inventory/", views.InventoryView.as_view(), name="inventory"),
    path(
        "seller/inventory/<int:pk>/edit/",
        views.InventoryEditView.as_view(),
        name="inventory_edit",
    ),
]
