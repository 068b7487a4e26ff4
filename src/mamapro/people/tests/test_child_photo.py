"""A child's photo: only with her mother's photo consent, stripped of where it was taken,
served only to roles that see the needs card, deleted when the consent is withdrawn."""

from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from mamapro.core.models import AuditEntry
from mamapro.people import photos, services
from mamapro.people.models import Child, PrivateStorage, private_storage
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
        assert max(image.size) == photos.PHOTO_MAX_SIDE
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
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
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


# --- Files on disk: owner-only (issue 9 finding 16) -----------------------------------------


def _mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_stored_photo_is_owner_only(child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    child = services.set_child_photo(child, jpeg_upload())
    assert _mode(child.photo.path) == 0o600
    assert _mode(Path(child.photo.path).parent) == 0o700


def test_the_private_storage_makes_owner_only_files_and_folders(settings, tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask: without explicit modes 0644 / 0755
    try:
        settings.PRIVATE_FILES_DIR = tmp_path / "private"
        storage = private_storage()
        name = storage.save("children/deep/a.jpg", io.BytesIO(b"x"))
        wide = tmp_path / "private" / "old"
        wide.mkdir(mode=0o755, parents=True)
        other = storage.save("old/b.jpg", io.BytesIO(b"y"))
    finally:
        os.umask(old_umask)
    assert _mode(storage.path(name)) == 0o600
    assert _mode(tmp_path / "private" / "children") == 0o700
    assert _mode(tmp_path / "private" / "children" / "deep") == 0o700
    assert _mode(storage.path(other)) == 0o600
    assert _mode(wide) == 0o700  # made wider before: narrowed on the next write
    assert isinstance(Child._meta.get_field("photo").storage, PrivateStorage)


# --- Huge photos refused before decoding (issue 9 finding 19) -------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    """A ~100-byte PNG that claims `width` × `height` pixels and carries almost no data: a
    decoder would allocate the whole image (or fail on the missing rows)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (20000, 20000),  # 400 MP: past Pillow's own bomb limit
        (8000, 6000),  # 48 MP: under Pillow's limit, so it would have been decoded
        (40_001, 1000),
    ],
)
def test_a_decompression_bomb_is_refused_by_its_header(child, width: int, height: int) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    bomb = _png_header_only(width, height)
    assert len(bomb) < 200
    upload = SimpleUploadedFile("bomb.png", bomb, "image/png")
    with pytest.raises(ValidationError) as caught:
        services.set_child_photo(child, upload)
    message = caught.value.message_dict["photo"][0]
    # "too many pixels", not "not a photo we can read": refused from the header, before any
    # row was decoded (the rows are missing; decoding would have failed differently).
    assert "too many pixels (at most 40 megapixels)" in message
    assert not Child.objects.get(pk=child.pk).photo


def test_a_photo_at_the_pixel_limit_is_decoded(child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    upload = SimpleUploadedFile("ok.png", _png_header_only(6000, 6000), "image/png")
    # 36 MP passes the header check; its missing rows then make it unreadable.
    with pytest.raises(ValidationError, match="not a photo we can read"):
        services.set_child_photo(child, upload)


def test_a_file_over_the_size_limit_is_refused_unread(child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    big = SimpleUploadedFile("big.jpg", b"\xff" * (photos.PHOTO_MAX_BYTES + 1), "image/jpeg")
    with pytest.raises(ValidationError) as caught:
        services.set_child_photo(child, big)
    assert caught.value.message_dict["photo"] == ["The photo is too large (at most 8 MB)."]
    assert not Child.objects.get(pk=child.pk).photo


def test_only_camera_formats_are_opened(child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, format="TIFF")
    upload = SimpleUploadedFile("x.jpg", out.getvalue(), "image/jpeg")
    with pytest.raises(ValidationError, match="not a photo we can read"):
        services.set_child_photo(child, upload)


def test_the_upload_page_answers_a_bomb_with_the_message(client, personas, child) -> None:
    services.record_consent(child.parent, kind="photos", version="2026-1")
    client.force_login(personas["coordinator"])
    bomb = SimpleUploadedFile("bomb.png", _png_header_only(20000, 20000), "image/png")
    response = client.post(
        reverse("people:child_photo_upload", args=[child.pk]), {"photo": bomb}, follow=True
    )
    assert response.status_code == 200
    assert "too many pixels (at most 40 megapixels)" in response.content.decode()
    assert not Child.objects.get(pk=child.pk).photo
