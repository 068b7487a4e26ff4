"""A child's photo: only with her mother's photo consent, stripped of where it was taken,
served only to roles that see the needs card, deleted when the consent is withdrawn."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from mamapro.core.models import AuditEntry
from mamapro.people import services
from mamapro.people.tests.permission_rows import jpeg_upload

pytestmark = pytest.mark.django_db

# EXIF with a GPS block: what a phone writes into every photo it takes.
GPS_EXIF = Image.Exif()
GPS_EXIF[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 55.0, 0.0)}


def test_no_photo_without_her_mothers_consent(child) -> None:
    with pytest.raises(ValidationError) as caught:
        services.set_child_photo(child, jpeg_upload())
    assert "consent to photos" in caught.value.message_dict["photo"][0]
    assert not child.photo


def test_the_photo_is_resized_and_loses_its_location(child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    upload = jpeg_upload(size=(2000, 1500), exif=GPS_EXIF.tobytes())
    with Image.open(upload) as sent:
        assert sent.getexif().get_ifd(0x8825)  # the test image does carry a location
    upload.seek(0)
    child = services.set_child_photo(child, upload)
    with child.photo.open("rb") as stored, Image.open(stored) as image:
        assert max(image.size) == services.PHOTO_MAX_SIDE
        assert not image.getexif()
    assert "photo" not in child.photo.name.split("/")[-1].lower().replace(".jpg", "")


def test_garbage_is_refused_with_a_message(child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    with pytest.raises(ValidationError, match="not a photo we can read"):
        services.set_child_photo(child, SimpleUploadedFile("x.jpg", b"<script>", "image/jpeg"))


def test_served_to_the_tutor_not_the_trainer_and_gone_with_the_consent(
    client, personas, child, in_their_work
) -> None:
    consent = services.record_consent(child.parent, kind="photos", version="2026-1")
    services.set_child_photo(child, jpeg_upload())
    url = reverse("people:child_photo", args=[child.pk])
    client.force_login(personas["tutor"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    Image.open(io.BytesIO(b"".join(response.streaming_content))).verify()
    assert AuditEntry.objects.filter(action="read_sensitive", fields=["photo"]).exists()
    client.force_login(personas["trainer"])
    assert client.get(url).status_code == 403
    services.revoke_consent(consent)
    child.refresh_from_db()
    assert not child.photo
    client.force_login(personas["tutor"])
    assert client.get(url).status_code == 404


def test_the_coordinator_uploads_it_on_the_childs_page(client, personas, child) -> None:
    client.force_login(personas["coordinator"])
    page = client.get(reverse("people:child_detail", args=[child.pk])).content.decode()
    assert "only with her mother's consent to photos" in page
    services.record_consent(child.parent, kind="photos", version="2026-1")
    response = client.post(
        reverse("people:child_photo_upload", args=[child.pk]), {"photo": jpeg_upload()}
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.photo
    page = client.get(reverse("people:child_detail", args=[child.pk])).content.decode()
    assert reverse("people:child_photo", args=[child.pk]) in page
