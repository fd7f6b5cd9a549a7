from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import HomeView, SignInView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/sign-in/", SignInView.as_view(), name="login"),
    path("accounts/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("catalog.urls")),
    path("", include("orders.storefront_urls")),
    path("", include("orders.urls")),
    path("", include("cancellations.urls")),
    path("", include("sellercentral.urls")),
    path("resolution-center/", include("disputes.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "marketplace.views.bad_request"
handler403 = "marketplace.views.permission_denied"
handler404 = "marketplace.views.page_not_found"
handler500 = "marketplace.views.server_error"
