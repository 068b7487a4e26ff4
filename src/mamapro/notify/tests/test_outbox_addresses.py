"""Where a delivery goes, refused here when malformed (so it never reaches a provider)."""

from __future__ import annotations

import pytest

from mamapro.notify import addresses


@pytest.mark.parametrize(
    ("channel", "raw", "expected"),
    [
        ("sms", "8 701 555 12 34", "+77015551234"),
        ("whatsapp", "+7 (701) 555-12-34", "+77015551234"),
        ("email", " aigul@example.org ", "aigul@example.org"),
        ("telegram", "123456789", "123456789"),
    ],
)
def test_good_addresses_are_normalised(channel: str, raw: str, expected: str) -> None:
    assert addresses.by_channel(channel, raw) == expected


@pytest.mark.parametrize(
    ("channel", "raw"),
    [
        ("sms", "+7012"),
        ("sms", "+44 20 7946 0958"),
        ("whatsapp", ""),
        ("email", "not-an-address"),
        ("email", "a@example.org\nBcc: b@example.org"),
        ("telegram", "@her_handle"),
        ("telegram", "12 34"),
        ("pigeon", "+77015551234"),
    ],
)
def test_malformed_addresses_are_refused(channel: str, raw: str) -> None:
    with pytest.raises(addresses.BadAddress):
        addresses.by_channel(channel, raw)
