"""
The portal's URLs plus /bench/minimal/: the baseline every page is compared with —
a signed-in page (session + user loaded by the same middleware) with a small template.
Benchmark-only: the product's urlconf never includes it.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from marketplace.urls import urlpatterns as portal_urlpatterns

MINIMAL = engines["django"].from_string(
    "<!doctype html><html lang='en'><head><title>Minimal</title></head>"
    "<body><h1>Hello {{ user.get_full_name|default:user.username }}</h1>"
    "<ul>{% for n in numbers %}<li>{{ n }}</li>{% endfor %}</ul></body></html>"
)


@login_required
def minimal(request):
    return HttpResponse(MINIMAL.render({"user": request.user, "numbers": range(5)}, request))


urlpatterns = [path("bench/minimal/", minimal, name="bench_minimal"), *portal_urlpatterns]
