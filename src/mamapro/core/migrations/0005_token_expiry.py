# API tokens expire: existing tokens 90 days after they were made (core.models.TOKEN_DAYS).
import datetime as dt

from django.db import migrations, models

import mamapro.core.models


def expire_existing(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    for token in ApiToken.objects.all().only("pk", "created_at"):
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=token.created_at + dt.timedelta(days=90)
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_keyed")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                default=mamapro.core.models._token_expiry, verbose_name="expires"
            ),
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
    ]
