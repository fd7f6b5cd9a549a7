"""
The "Marketplace staff" group: what a member of the operator's staff may read in
Django admin. Staff accounts join it (the demo's ``staff`` does); permissions to act,
such as resolving disputes, are added by the migrations that bring those actions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Marketplace staff"
READABLE_APPS = ["catalog", "orders", "cancellations", "payments", "notifications"]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now so
    # the group gets them on a fresh database too.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=READABLE_APPS, codename__startswith="view_"
        )
    )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
        ("orders", "0001_initial"),
        ("cancellations", "0002_initial"),
        ("payments", "0002_round_settled_constraint"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
