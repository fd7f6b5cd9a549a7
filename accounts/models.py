from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone the machine knows, as "America/New_York" → "America/New York"."""
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def validate_time_zone(value: str) -> None:
    if value and value not in available_timezones():
        raise ValidationError(f"“{value}” is not a time zone.")


class Profile(models.Model):
    """What the portal keeps about a person beyond ``auth.User``: one row per user, made lazily."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Empty: the portal's DISPLAY_TIME_ZONE.
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Pages and emails show dates and times in this zone.",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person closed the account (data anonymised)."
    )

    def __str__(self):
        return f"Profile of {self.user}"


class Address(models.Model):
    """A saved shipping address; checkout offers these, the default one first."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    name = models.CharField("full name", max_length=100)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField("state or region", max_length=100, blank=True)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="US")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-created_at", "-pk"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="address_one_default_per_user",
            ),
        ]

    def __str__(self):
        return ", ".join(part for part in (self.name, self.line1, self.city, self.postcode) if part)
