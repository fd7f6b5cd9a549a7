from django.conf import settings
from django.contrib.auth.views import LoginView
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

from .forms import SignInForm


class HomeView(TemplateView):
    template_name = "home.html"


class SignInView(LoginView):
    """
    Sign in, then go where the user was headed (``?next=``, checked by Django to stay
    on this site), else to their own start: Seller Central for a seller, the home page
    for a buyer.
    """

    authentication_form = SignInForm

    def get_default_redirect_url(self):
        if hasattr(self.request.user, "seller"):
            return reverse("sellercentral:home")
        return super().get_default_redirect_url()


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
