from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MarketplaceConfig(AppConfig):
    default = True
    name = "marketplace"
    verbose_name = "Marketplace"


class MarketplaceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with ``marketplace.admin.MarketplaceAdminSite`` as admin.site."""

    default = False
    default_site = "marketplace.admin.MarketplaceAdminSite"
