"""Permission rows for the providers' webhooks (notify/webhooks.py).

Anyone may call them, signed in or not: the provider's signature is the credential. In the
table's world no channel is configured, so every caller gets 404 (no secret to check a
signature against); the signed paths are tested in test_webhooks_*.py.
"""

from __future__ import annotations

from mamapro.core.tests.rows import Rows, WebRow, table

NOT_CONFIGURED = table(404)

ROWS = Rows(
    web={
        "notify_hook_sms": WebRow("post", NOT_CONFIGURED, public=True, anonymous=404),
        "notify_hook_whatsapp": WebRow("get", NOT_CONFIGURED, public=True, anonymous=404),
        "notify_hook_telegram": WebRow("post", NOT_CONFIGURED, public=True, anonymous=404),
    },
)
