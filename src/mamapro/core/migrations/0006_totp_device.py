# The authenticator apps move from django-otp's TOTP table (secret in clear hex) to
# core.TOTPDevice (secret encrypted with DATA_KEYS); the old table is dropped.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import mamapro.core.crypto
import mamapro.core.models

OLD_TABLE = "otp_totp_totpdevice"
COPIED = ("id", "user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance",
          "drift", "last_t", "created_at", "last_used_at")


def move_devices(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if OLD_TABLE not in connection.introspection.table_names(cursor):
            return
        present = {c.name for c in connection.introspection.get_table_description(cursor, OLD_TABLE)}
        columns = [c for c in COPIED if c in present]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(OLD_TABLE)}")
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    TOTPDevice = apps.get_model("core", "TOTPDevice")
    for row in rows:
        row.pop("id")
        row["confirmed"] = bool(row["confirmed"])
        TOTPDevice.objects.create(**row)  # the key is encrypted on the way in
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["otp_totp"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_token_expiry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TOTPDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                ("created_at", models.DateTimeField(auto_now_add=True, help_text="The date and time when this device was initially created in the system.", null=True)),
                ("last_used_at", models.DateTimeField(blank=True, help_text="The most recent date and time this device was used.", null=True)),
                ("key", mamapro.core.crypto.EncryptedTextField(default=mamapro.core.models._new_totp_key)),
                ("step", models.PositiveSmallIntegerField(default=30)),
                ("t0", models.BigIntegerField(default=0)),
                ("digits", models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ("tolerance", models.PositiveSmallIntegerField(default=1)),
                ("drift", models.SmallIntegerField(default=0)),
                ("last_t", models.BigIntegerField(default=-1)),
                ("user", models.ForeignKey(help_text="The user that this device belongs to.", on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "authenticator app",
                "verbose_name_plural": "authenticator apps",
                "abstract": False,
            },
        ),
        migrations.RunPython(move_devices, migrations.RunPython.noop),
    ]
