"""Her offer link: a short signed token that lets her accept or decline a seat from her
phone, without an account.

The token binds the enrollment and the moment the seat was offered to her (`offered_at`, to
the microsecond), signed with the site's secret (django.core.signing, salt "notify.offer";
`SECRET_KEY_FALLBACKS` keep links valid across a key rotation). Nothing is stored:

- it expires with the offer (`offer_expires_at`), read from the enrollment each time;
- it works once: after she accepts or declines, the enrollment is no longer `offered` with
  that `offered_at`, and a later offer of a seat to her carries a new `offered_at`, so the
  old link answers "already used";
- a token altered by one character fails the signature.

Length, for an SMS: `<enrollment id base36>-<offered_at µs base36>.<signature>` with the
HMAC-SHA256 cut to 128 bits (22 base64url characters) — about 36 characters, where
`signing.dumps` of the same values takes over 80. 128 bits cannot be guessed; the POST is
rate-limited per address anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing

from mamapro.programs.models import Enrollment

SALT = "notify.offer"
SIGNATURE_CHARS = 22  # 132 bits of base64url, cut from HMAC-SHA256
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class _ShortSigner(signing.Signer):
    def signature(self, value: bytes | str, key: str | bytes | None = None) -> str:
        return str(super().signature(value, key))[:SIGNATURE_CHARS]


def _signer() -> signing.Signer:
    # "." is outside both the payload's and the signature's alphabets.
    return _ShortSigner(salt=SALT, sep=".", algorithm="sha256")


def _base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = DIGITS[digit] + out
        if number == 0:
            return out


def _micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


@dataclass(frozen=True)
class Claim:
    """What a valid token says: this enrollment, offered at this moment (µs since 1970)."""

    enrollment_id: int
    offered_micros: int

    def matches(self, enrollment: Enrollment) -> bool:
        """The very offer the link was made for is still open (not yet answered)."""
        return (
            enrollment.pk == self.enrollment_id
            and enrollment.status == Enrollment.Status.OFFERED
            and enrollment.offered_at is not None
            and _micros(enrollment.offered_at) == self.offered_micros
        )


def make_token(enrollment: Enrollment) -> str:
    if enrollment.offered_at is None:
        raise ValueError("only an offered seat has an offer link")
    value = f"{_base36(enrollment.pk)}-{_base36(_micros(enrollment.offered_at))}"
    return str(_signer().sign(value))


def read_token(token: str) -> Claim | None:
    """The claim of a genuine token; None for anything altered, truncated or made up."""
    if not token or len(token) > 80:
        return None
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    enrollment36, _sep, micros36 = value.partition("-")
    try:
        return Claim(int(enrollment36, 36), int(micros36, 36))
    except ValueError:
        return None
