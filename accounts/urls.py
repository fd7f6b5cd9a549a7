from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.AccountHomeView.as_view(), name="home"),
    path("name/", views.NameView.as_view(), name="name"),
    path("time-zone/", views.TimeZoneView.as_view(), name="time_zone"),
    path("addresses/", views.AddressAddView.as_view(), name="address_add"),
    path("addresses/<int:pk>/", views.AddressEditView.as_view(), name="address_edit"),
    path("addresses/<int:pk>/delete/", views.AddressDeleteView.as_view(), name="address_delete"),
    path("addresses/<int:pk>/default/", views.AddressDefaultView.as_view(), name="address_default"),
    path("close/", views.CloseAccountView.as_view(), name="close"),
]
