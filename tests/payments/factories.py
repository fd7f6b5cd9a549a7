from decimal import Decimal

import factory

from payments import services
from payments.models import Payment

VISA = "4242 4242 4242 4242"
# Declined by the sandbox and by localstripe alike (Stripe's "charge fails" card).
DECLINED = "4000 0000 0000 0341"
INSUFFICIENT_FUNDS = "4000 0000 0000 9995"


class PendingPaymentFactory(factory.django.DjangoModelFactory):
    """A checkout's pending payment, created by the service that checkout uses."""

    class Meta:
        model = Payment

    amount = Decimal("100.00")
    card_number = VISA

    @classmethod
    def _create(cls, model_class, *, amount, card_number):
        return services.create_payment(amount=amount, card_number=card_number)
