# The keyed audit chain (HMAC) and its protections; filled in by the audit work.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0003_login_failure")]

    operations: list[migrations.operations.base.Operation] = []
