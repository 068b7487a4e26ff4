"""Circumstances stated on applications are encrypted at rest; the rate limit's attempts and
the votes waiting for the tick get their tables."""

import json

import django.db.models.deletion
import django.utils.timezone
import mamapro.core.crypto
import mamapro.public.models
from django.db import migrations, models


def encrypt_stated(apps, schema_editor):
    """The JSON list each row held becomes one encrypted comma-separated text."""
    from mamapro.core.crypto import PREFIX, encrypt

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, stated_circumstances FROM public_application")
        for pk, raw in cursor.fetchall():
            if not raw or raw.startswith(PREFIX):
                continue
            kinds = json.loads(raw) if raw.lstrip().startswith("[") else raw.split(",")
            kinds = [str(k) for k in kinds if k]
            cursor.execute(
                "UPDATE public_application SET stated_circumstances = %s WHERE id = %s",
                [encrypt(",".join(kinds)) if kinds else "", pk],
            )


def decrypt_stated(apps, schema_editor):
    from mamapro.core.crypto import decrypt

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, stated_circumstances FROM public_application")
        for pk, raw in cursor.fetchall():
            kinds = [k for k in decrypt(raw or "").split(",") if k]
            cursor.execute(
                "UPDATE public_application SET stated_circumstances = %s WHERE id = %s",
                [json.dumps(kinds), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ('centres', '0003_membership_clinical_lead'),
        ('programs', '0001_initial'),
        ('public', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='application',
            name='stated_circumstances',
            field=mamapro.public.models.StatedKindsField(blank=True, default=list, verbose_name='stated circumstances'),
        ),
        migrations.RunPython(encrypt_stated, decrypt_stated),
        migrations.CreateModel(
            name='PendingVote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', mamapro.core.crypto.EncryptedTextField()),
                ('proposed', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('centre', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre')),
                ('topic', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='programs.topicrequest')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='PublicAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=64)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'indexes': [models.Index(fields=['key', 'at'], name='public_publ_key_ca9c97_idx')],
            },
        ),
    ]
