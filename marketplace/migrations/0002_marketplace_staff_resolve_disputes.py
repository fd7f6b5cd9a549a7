"""
The "Marketplace staff" group may read cases in admin and resolve them
(``disputes.resolve_dispute``): the walk-through's ``staff`` decides an escalated case.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Marketplace staff"
CODENAMES = ["view_dispute", "view_disputemessage", "resolve_dispute"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now so
    # the group gets them on a fresh database too.
    app_config = apps.get_app_config("disputes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="disputes", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="disputes", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0001_marketplace_staff_group"),
        ("disputes", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
