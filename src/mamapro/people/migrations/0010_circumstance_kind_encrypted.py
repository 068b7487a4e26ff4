"""The circumstance kind encrypted at rest, with a blind index (`kind_digest`) that filters,
counts and keeps one row per kind; the IIN's digest becomes a BlindIndexField (no data
change: it is still the digest under the first key)."""

from django.db import migrations, models
from django.db.models import Value

import mamapro.core.crypto

PURPOSE = "circumstance_kind"


def encrypt_kinds(apps, schema_editor):
    from mamapro.core.crypto import blind_index

    Circumstance = apps.get_model("people", "Circumstance")
    for row in Circumstance.objects.all().iterator(chunk_size=500):
        # Clear text reads back as it is; writing it through the field encrypts it.
        Circumstance.objects.filter(pk=row.pk).update(
            kind=row.kind, kind_digest=blind_index(row.kind, PURPOSE)
        )


def decrypt_kinds(apps, schema_editor):
    Circumstance = apps.get_model("people", "Circumstance")
    for row in Circumstance.objects.all().iterator(chunk_size=500):
        # A Value with a plain output field is written as it is, not encrypted again.
        Circumstance.objects.filter(pk=row.pk).update(
            kind=Value(row.kind, output_field=models.TextField()), kind_digest=""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0003_membership_clinical_lead"),
        ("people", "0009_roster_key"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="circumstance",
            name="circumstance_once_per_kind",
        ),
        migrations.AddField(
            model_name="circumstance",
            name="kind_digest",
            field=mamapro.core.crypto.BlindIndexField(
                default="", purpose="circumstance_kind", source="kind"
            ),
        ),
        migrations.AlterField(
            model_name="circumstance",
            name="kind",
            field=mamapro.core.crypto.EncryptedTextField(
                choices=[
                    ("special_needs_child", "Mother of a child with special needs"),
                    ("stay_at_home", "Stay-at-home mother"),
                    ("domestic_violence", "Survivor of domestic violence"),
                    ("other", "Other"),
                ],
                max_length=32,
                verbose_name="circumstance",
            ),
        ),
        migrations.AlterField(
            model_name="participant",
            name="iin_digest",
            field=mamapro.core.crypto.BlindIndexField(
                blank=True, null=True, purpose="iin", source="iin"
            ),
        ),
        migrations.RunPython(encrypt_kinds, decrypt_kinds),
        migrations.AddConstraint(
            model_name="circumstance",
            constraint=models.UniqueConstraint(
                fields=("participant", "kind_digest"), name="circumstance_once_per_kind"
            ),
        ),
    ]
