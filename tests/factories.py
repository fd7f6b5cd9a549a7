import io
from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from catalog.models import Listing, ListingPhoto, Seller
from orders.actors import Actor
from orders.models import Order, OrderLine, OrderStatus
from orders.services import ShippingAddress, confirm_shipment, place_orders
from payments.models import Payment

PASSWORD = "correct horse battery staple"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
INSUFFICIENT_FUNDS_CARD = "4000 0000 0000 9995"
ADDRESS = ShippingAddress(
    name="Bea Buyer", line1="1 Main Street", city="Springfield", postcode="12345"
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Test"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Its email confirmed (what a first order needs), unless ``verified=False``."""
        if create and obj.email and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email.lower(), defaults={"verified": True, "primary": True}
            )


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller

    user = factory.SubFactory(UserFactory)
    store_name = factory.Sequence(lambda n: f"Store {n}")


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    seller = factory.SubFactory(SellerFactory)
    title = factory.Sequence(lambda n: f"Notebook {n}")
    description = "A sturdy notebook."
    price = Decimal("10.00")
    stock = 20
    handling_days = 2


def image_file(
    *, size: tuple[int, int] = (40, 30), colour: str = "teal", format: str = "PNG"
) -> ContentFile:
    """A real image of ``size`` as an uploaded file (Pillow draws it)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=format)
    return ContentFile(buffer.getvalue(), name=f"photo.{format.lower()}")


class ListingPhotoFactory(factory.django.DjangoModelFactory):
    """A listing's photo, saved the way catalog saves one (its thumbnails are made too)."""

    class Meta:
        model = ListingPhoto

    listing = factory.SubFactory(ListingFactory)
    image = factory.LazyFunction(image_file)
    position = factory.Sequence(lambda n: n)


class PaymentFactory(factory.django.DjangoModelFactory):
    """An authorized payment (shipment capture mode); override amounts for other cases."""

    class Meta:
        model = Payment

    amount = Decimal("10.00")
    payment_method = "pm_card_visa"
    card_last4 = "4242"
    charge_reference = factory.Sequence(lambda n: f"ch_factory_{n}")
    status = Payment.Status.AUTHORIZED
    amount_authorized = factory.SelfAttribute("amount")


class OrderFactory(factory.django.DjangoModelFactory):
    """
    An order in any state without going through checkout (for pages and selectors).
    Pass ``lines=[(listing, quantity), ...]``; by default one line of one unit.
    Tests of behaviour should place orders with ``orders.services.place_orders``.
    """

    class Meta:
        model = Order
        skip_postgeneration_save = True

    buyer = factory.SubFactory(UserFactory)
    seller = factory.SubFactory(SellerFactory)
    payment = factory.SubFactory(PaymentFactory)
    status = OrderStatus.UNSHIPPED
    total = Decimal("10.00")
    placed_at = factory.LazyFunction(timezone.now)
    ship_by = factory.LazyAttribute(lambda o: o.placed_at + timedelta(days=2))
    deliver_by = factory.LazyAttribute(lambda o: o.ship_by + timedelta(days=5))
    ship_to_name = "Bea Buyer"
    ship_to_line1 = "1 Main Street"
    ship_to_city = "Springfield"
    ship_to_postcode = "12345"

    @factory.post_generation
    def lines(order, create, extracted, **kwargs):
        if not create:
            return
        for listing, quantity in extracted or [(None, 1)]:
            listing = listing or ListingFactory(seller=order.seller)
            OrderLine.objects.create(
                order=order,
                listing=listing,
                title=listing.title,
                unit_price=listing.price,
                quantity=quantity,
            )


def shipped_order(*, buyer, seller, quantity: int = 2, **listing_fields) -> Order:
    """
    ``quantity`` units of a new listing of ``seller`` ($12.50 unless ``listing_fields``
    say otherwise), bought by ``buyer`` at checkout and all shipped: through the services,
    so the payment and its money rows are real.
    """
    listing = ListingFactory(
        seller=seller, **{"stock": 10, "price": Decimal("12.50"), **listing_fields}
    )
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: quantity}, address=ADDRESS, card_number=GOOD_CARD
    )
    confirm_shipment(
        order_id=order.pk,
        quantities={order.lines.get().pk: quantity},
        carrier="UPS",
        tracking_number="1Z999",
        actor=Actor.seller(seller.user),
    )
    return order
