"""The circumstance kind's digest mixes in her id: equal kinds of different women no longer
share a digest, so a copy of the database does not group the survivors together."""

from django.db import migrations

import mamapro.core.crypto

PURPOSE = "circumstance_kind"


def _recompute(apps, scoped):
    from mamapro.core.crypto import blind_index

    Circumstance = apps.get_model("people", "Circumstance")
    for row in Circumstance.objects.all().iterator(chunk_size=500):
        value = f"{row.participant_id}:{row.kind}" if scoped else row.kind
        Circumstance.objects.filter(pk=row.pk).update(kind_digest=blind_index(value, PURPOSE))


def per_woman(apps, schema_editor):
    _recompute(apps, scoped=True)


def shared(apps, schema_editor):
    _recompute(apps, scoped=False)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_circumstance_kind_encrypted"),
    ]

    operations = [
        migrations.AlterField(
            model_name="circumstance",
            name="kind_digest",
            field=mamapro.core.crypto.BlindIndexField(
                default="", purpose="circumstance_kind", scope="participant_id", source="kind"
            ),
        ),
        migrations.RunPython(per_woman, shared),
    ]
