from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from .views import HomeView, SignInView

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

if settings.SERVE_MEDIA:
    # Product photos from var/media on a laptop; production serves them from the bucket.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

handler400 = "marketplace.views.bad_request"
handler403 = "marketplace.views.permission_denied"
handler404 = "marketplace.views.page_not_found"
handler500 = "marketplace.views.server_error"
