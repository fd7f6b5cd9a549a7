"""
Accounts made before sign-up existed (by staff or the demo seed) never had their email
confirmed, as there was no way to. They count as verified, so the verified-email check
that sign-up brings (a first order, opening a store) does not lock them out.
"""

from django.db import migrations


def mark_existing_emails_verified(apps, schema_editor):
    User = apps.get_model("auth", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known_users = set(EmailAddress.objects.values_list("user_id", flat=True))
    known_emails = set(EmailAddress.objects.values_list("email", flat=True))
    rows = []
    for user_id, email in User.objects.exclude(email="").order_by("pk").values_list("pk", "email"):
        email = email.lower()
        if user_id not in known_users and email not in known_emails:  # one owner per address
            rows.append(EmailAddress(user_id=user_id, email=email, verified=True, primary=True))
            known_emails.add(email)
    EmailAddress.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(mark_existing_emails_verified, migrations.RunPython.noop),
    ]
