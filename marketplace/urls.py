from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from .views import HomeView, SignInView, media

sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()  # POST only: GET never changes state

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/sign-in/", sign_in, name="login"),
    path("accounts/sign-out/", sign_out, name="logout"),
    # One sign-in page and one sign-out: allauth's addresses for them (matched before its
    # own patterns below) send to the portal's, and its names for them (its pages and flows
    # reverse these; of two patterns with one name, reverse() takes the last) lead there.
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="allauth_login_address",
    ),
    path(
        "accounts/logout/",
        RedirectView.as_view(pattern_name="home"),
        name="allauth_logout_address",
    ),
    # django-allauth: sign up, confirm email, reset and change password, manage emails.
    path("accounts/", include("allauth.urls")),
    path("accounts/sign-in/", sign_in, name="account_login"),
    path("accounts/sign-out/", sign_out, name="account_logout"),
    path("account/", include("accounts.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.storefront_urls")),
    path("", include("orders.urls")),
    path("", include("cancellations.urls")),
    path("", include("returns.urls")),
    path("", include("sellercentral.urls")),
    path("resolution-center/", include("disputes.urls")),
    path("payments/", include("payments.urls")),
    path("admin/", admin.site.urls),
]

if not settings.MEDIA_URL.startswith("http"):
    # Product photos from MEDIA_ROOT when SERVE_MEDIA is on (a laptop); else a 404.
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", media, name="media")
    )

handler400 = "marketplace.views.bad_request"
handler403 = "marketplace.views.permission_denied"
handler404 = "marketplace.views.page_not_found"
handler500 = "marketplace.views.server_error"
