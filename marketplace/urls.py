from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from .views import HomeView, SignInView, media

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/sign-in/", SignInView.as_view(), name="login"),
    path("accounts/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    # django-allauth: sign up, confirm email, reset and change password, manage emails.
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.storefront_urls")),
    path("", include("orders.urls")),
    path("", include("cancellations.urls")),
    path("", include("sellercentral.urls")),
    path("resolution-center/", include("disputes.urls")),
    path("admin/", admin.site.urls),
]

if not settings.MEDIA_URL.startswith("http"):
    # Product photos from MEDIA_ROOT when SERVE_MEDIA is on (a laptop); else a 404.
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", media))

handler400 = "marketplace.views.bad_request"
handler403 = "marketplace.views.permission_denied"
handler404 = "marketplace.views.page_not_found"
handler500 = "marketplace.views.server_error"
