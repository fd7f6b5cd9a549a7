from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    # The address to give Stripe's dashboard (Developers → Webhooks): POST only.
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
