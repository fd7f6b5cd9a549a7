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
]
