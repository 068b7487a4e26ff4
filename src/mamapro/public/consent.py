"""The consent text shown on the public application form, and its version.

Change the wording → change the version: each consent record names the version she agreed
to, and the law on personal data (Law of the Republic of Kazakhstan No. 94-V "On personal
data and their protection") asks that we can show what exactly that was.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CONSENT_VERSION = "public-2026-1"

CONSENT_PARAGRAPHS: tuple[Promise, ...] = (
    _(
        "I agree that Mama Pro Centre keeps the information I give in this form (my name, "
        "phone, language, how and when I may be contacted, my children's ages and, if I "
        "tell it, my family situation) to handle my application and to contact me about "
        "courses and workshops."
    ),
    _(
        "Only the coordinators of the centre see it. It is not given to anyone else, and "
        "never to my family members."
    ),
    _(
        "I can ask the centre at any time to show me what it keeps about me, to correct it "
        "or to delete it, and I can withdraw this consent."
    ),
)
