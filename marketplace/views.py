from allauth.account.views import LoginView
from django.conf import settings
from django.http import (
    Http404,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.urls import reverse
from django.views.generic import TemplateView
from django.views.static import serve

from catalog.access import SellersOnly


class HomeView(TemplateView):
    template_name = "home.html"


class SignInView(LoginView):
    """
    django-allauth's sign-in (a username or an email, and the password) at the portal's
    sign-in address. Then where the user was headed (``?next=``, which allauth keeps on
    this site), else their own start: Seller Central for a seller, the home page
    (allauth's adapter: ``LOGIN_REDIRECT_URL``) for everyone else.
    """

    def form_valid(self, form):
        self.signing_in = form.user  # not request.user yet: the start depends on who it is
        return super().form_valid(form)

    def get_default_success_url(self):
        user = getattr(self, "signing_in", self.request.user)
        if hasattr(user, "seller"):
            return reverse("sellercentral:home")
        return None


def media(request, path):
    """
    A product photo from MEDIA_ROOT, for a laptop (SERVE_MEDIA, on with DEBUG). Production
    serves photos from the bucket (MEDIA_BUCKET), never through a web worker.
    """
    if not settings.SERVE_MEDIA:
        raise Http404("Media are not served here.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# --- Error pages ------------------------------------------------------------------------
# Django's own handlers (django.views.defaults) carry @requires_csrf_token, which runs
# the CSRF check again and so reads request.POST. A form post whose body cannot be
# decoded (``Content-Type: application/x-www-form-urlencoded; charset=latin-1``) raised
# BadRequest in the check, then again in the 400 (or 404) handler and in the 500
# handler, and the client got the server's bare 500. These render the same templates
# without reading the body: the CSRF middleware has already given the request its
# token for the layout's sign-out form.


def bad_request(request, exception):
    return HttpResponseBadRequest(loader.render_to_string("400.html", request=request))


def permission_denied(request, exception):
    # Seller Central turned a customer away: the page offers to open a store.
    context = {"sellers_only": isinstance(exception, SellersOnly)}
    return HttpResponseForbidden(loader.render_to_string("403.html", context, request=request))


def page_not_found(request, exception):
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def server_error(request):
    # No request context: whatever failed may be what a context processor needs.
    return HttpResponseServerError(loader.render_to_string("500.html"))
