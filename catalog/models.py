from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.money import MAX_PRICE, money_field


class Seller(models.Model):
    """A user who sells: the profile's presence is what makes a user a seller."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller"
    )
    store_name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_name"]

    def __str__(self):
        return self.store_name


class ListingQuerySet(models.QuerySet["Listing"]):
    def available(self) -> "ListingQuerySet":
        return self.filter(is_active=True)


class Listing(models.Model):
    class Deactivation(models.TextChoices):
        """Why the marketplace (not the seller) took a listing off sale."""

        NONE = "", "Not deactivated by the marketplace"
        NO_INVENTORY = "no_inventory", "Repeated “No inventory” cancellations"

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="listings")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = money_field(
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_PRICE)],
        help_text=f"In US dollars, at most {MAX_PRICE:,}.",
    )
    stock = models.PositiveIntegerField(
        default=0, help_text="Units on hand and not reserved by an order."
    )
    handling_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
        help_text="Business days to ship once an order is placed.",
    )
    is_active = models.BooleanField(default=True)
    deactivated_reason = models.CharField(max_length=200, blank=True)
    # What would put it back on sale: for NO_INVENTORY, the seller updating its stock.
    deactivated_for = models.CharField(
        max_length=20, choices=Deactivation, default=Deactivation.NONE, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="listing_stock_gte_0"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="listing_price_gt_0"),
        ]

    def __str__(self):
        return self.title

    # get_absolute_url is the storefront's listing page, a floor up: the settings'
    # ABSOLUTE_URL_OVERRIDES gives it, so catalog names no URL of orders.

    def is_sold_by(self, user) -> bool:
        """Whether ``user`` is this listing's seller (who may not buy it)."""
        return user.is_authenticated and self.seller.user_id == user.pk
