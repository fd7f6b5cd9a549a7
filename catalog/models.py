from django.conf import settings
from django.db import models


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
