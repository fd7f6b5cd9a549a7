"""
Stripe's webhook endpoint: a thin adapter over ``payments.webhooks``.

Stripe signs its deliveries instead of carrying a CSRF token, so the view is exempt
from CSRF and checks the signature instead; it answers 404 while the Stripe gateway is
off, 400 to anything Stripe did not sign, and 200 once the event is recorded (a replay
included), so Stripe stops delivering it.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import webhooks
from .gateway import uses_stripe


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if not uses_stripe():
        raise Http404("The Stripe gateway is off.")
    try:
        webhooks.receive_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except webhooks.InvalidEvent:
        return HttpResponseBadRequest("Not an event signed by Stripe for this endpoint.")
    return HttpResponse("Recorded.", content_type="text/plain")
