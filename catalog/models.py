import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from imagekit.models import ImageSpecField

from core.images import Display, Thumbnail
from core.money import MAX_PRICE, money_field

# The most photos a listing shows (Amazon allows nine, eBay 24; eight fill two rows).
MAX_PHOTOS = 8


class Seller(models.Model):
    """A user who sells: the profile's presence is what makes a user a seller."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller"
    )
    store_name = models.CharField(max_length=100, unique=True)
    # Where buyers send items back; empty for stores opened before stores had one.
    return_name = models.CharField("name", max_length=100, blank=True)
    return_line1 = models.CharField("address line 1", max_length=200, blank=True)
    return_line2 = models.CharField("address line 2", max_length=200, blank=True)
    return_city = models.CharField("city", max_length=100, blank=True)
    return_state = models.CharField("state or region", max_length=100, blank=True)
    return_postcode = models.CharField("postcode", max_length=20, blank=True)
    return_country = models.CharField("country", max_length=2, default="US")
    default_handling_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
        help_text="New listings start with this many business days to ship.",
    )
    policies = models.TextField(
        blank=True, help_text="Your store's policies, shown on your store's page."
    )
    returnless_refund_under = money_field(
        null=True,
        blank=True,
        help_text="Returns worth less than this are refunded without the item coming back.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_name"]
        constraints = [
            # "Paper Moon" and "paper moon" would be one store to a buyer.
            models.UniqueConstraint(
                Lower("store_name"),
                name="seller_store_name_unique_ignoring_case",
                violation_error_message="A store with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.store_name


class Category(models.Model):
    """A shelf of the shop (Stationery, Kitchen, …): staff keep the list in admin."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class ListingQuerySet(models.QuerySet["Listing"]):
    def available(self) -> "ListingQuerySet":
        return self.filter(is_active=True)


class Listing(models.Model):
    class Deactivation(models.TextChoices):
        """Why the marketplace (not the seller) took a listing off sale."""

        NONE = "", "Not deactivated by the marketplace"
        NO_INVENTORY = "no_inventory", "Repeated “No inventory” cancellations"

    class Condition(models.TextChoices):
        NOT_STATED = "", "Not stated"
        NEW = "new", "New"
        RENEWED = "renewed", "Renewed (refurbished)"
        USED_LIKE_NEW = "used_like_new", "Used – like new"
        USED_GOOD = "used_good", "Used – good"
        USED_ACCEPTABLE = "used_acceptable", "Used – acceptable"

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="listings")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="listings"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    condition = models.CharField(max_length=20, choices=Condition, blank=True)
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
        indexes = [
            # The shop's "Newest first" and a category's shelf.
            models.Index(fields=["is_active", "-created_at"], name="listing_active_newest_idx"),
            models.Index(fields=["category", "is_active"], name="listing_category_idx"),
        ]
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


def photo_path(photo: "ListingPhoto", filename: str) -> str:
    """A new name for every upload (never the uploader's): a replaced photo never overwrites
    the file an order still shows."""
    name = uuid.uuid4().hex
    return f"photos/{name[:2]}/{name}.{photo.image_format()}"


class ListingPhoto(models.Model):
    """
    One photo of a listing, already checked, turned upright and stripped of its metadata
    (``catalog.photos``). Its file is never deleted with the row: an order line keeps
    showing the photo it was bought with.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    # Made once, when the photo is saved (IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY): a page
    # builds their URLs from the name, with no query and no storage call.
    thumbnail = ImageSpecField(source="image", spec=Thumbnail)
    display = ImageSpecField(source="image", spec=Display)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["listing", "position"], name="photo_listing_position_idx")]

    def __str__(self):
        return f"Photo {self.position + 1} of {self.listing}"

    def image_format(self) -> str:
        """The file's extension: PNG keeps transparency, everything else is JPEG."""
        return "png" if (self.image.name or "").lower().endswith(".png") else "jpg"
