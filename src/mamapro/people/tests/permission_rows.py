from __future__ import annotations

import datetime as dt
from typing import Any

from mamapro.core.tests.rows import CARE_TEAM_ONLY, CREATE, ApiRow, Rows, WebRow, World, table

CHILD_READERS = dict(director=200, coordinator=200, tutor=200, outsider=404)
PARTICIPANT_READERS = dict(
    director=200,
    coordinator=200,
    manager=200,
    trainer=200,
    tutor=200,
    psychologist=200,
    outsider=404,
)
CARE_TEAM_POST = table(403, director=302, coordinator=302, outsider=404)


def _participant(w: World) -> dict[str, int]:
    return {"pk": w["participant"].pk}


def _child(w: World) -> dict[str, int]:
    return {"pk": w["child"].pk}


def _adult(w: World) -> dict[str, int]:
    return {"pk": w["adult"].pk}


def _build(w: World) -> None:
    from mamapro.people import services

    w["consent"] = services.record_consent(w["participant"], kind="photos", version="2026-1")
    services.set_child_photo(w["child"], jpeg_upload())


def jpeg_upload(size: tuple[int, int] = (40, 30), exif: bytes | None = None) -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 90)).save(out, format="JPEG", exif=exif or b"")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


ROWS = Rows(
    web={
        "people:participant_list": WebRow(
            "get", table(403, **{**PARTICIPANT_READERS, "outsider": 200})
        ),
        "people:participant_create": WebRow(
            "get", table(403, director=200, coordinator=200, outsider=200)
        ),
        "people:participant_detail": WebRow("get", table(403, **PARTICIPANT_READERS), _participant),
        "people:participant_edit": WebRow("get", table(403, **CARE_TEAM_ONLY), _participant),
        "people:participant_export": WebRow("get", table(403, **CARE_TEAM_ONLY), _participant),
        # Erasure is the director's alone (the page asks before anything happens).
        "people:participant_erase": WebRow("get", table(403, director=200), _participant),
        "people:child_create": WebRow("get", table(403, **CARE_TEAM_ONLY), _participant),
        "people:consent_create": WebRow(
            "post",
            CARE_TEAM_POST,
            _participant,
            data=lambda w: {"kind": "photos", "version": "2026-2"},
        ),
        "people:consent_revoke": WebRow("post", CARE_TEAM_POST, lambda w: {"pk": w["consent"].pk}),
        "people:child_detail": WebRow("get", table(403, **CHILD_READERS), _child),
        "people:child_edit": WebRow("get", table(403, **CARE_TEAM_ONLY), _child),
        "people:child_photo": WebRow("get", table(403, **CHILD_READERS), _child),
        # No file sent: allowed, then refused with a message on the child's page.
        "people:child_photo_upload": WebRow("post", CARE_TEAM_POST, _child),
        "people:adult_create": WebRow("get", table(403, **CARE_TEAM_ONLY), _child),
        "people:adult_edit": WebRow("get", table(403, **CARE_TEAM_ONLY), _adult),
        "people:adult_delete": WebRow("post", CARE_TEAM_POST, _adult),
    },
    api={
        ("GET", "/participants"): ApiRow(table(403, **{**PARTICIPANT_READERS, "outsider": 200})),
        ("POST", "/participants"): ApiRow(
            table(403, **CREATE, outsider=422),
            body=lambda w: {
                "centre": w["almaty"].pk,
                "given_name": "Гүлнар",
                "family_name": "Сейітова",
                "phone": "+7 777 000 11 22",
            },
        ),
        ("GET", "/participants/{participant_id}"): ApiRow(table(403, **PARTICIPANT_READERS)),
        ("PATCH", "/participants/{participant_id}"): ApiRow(
            table(403, **CARE_TEAM_ONLY), body=lambda w: {"status": "resident"}
        ),
        ("GET", "/children"): ApiRow(
            table(403, director=200, coordinator=200, tutor=200, outsider=200)
        ),
        ("POST", "/children"): ApiRow(
            table(403, **CREATE, outsider=422),
            body=lambda w: {
                "parent": w["participant"].pk,
                "given_name": "Інжу",
                "birth_date": str(dt.date(2020, 1, 2)),
            },
        ),
        ("GET", "/children/{child_id}"): ApiRow(table(403, **CHILD_READERS)),
        ("PATCH", "/children/{child_id}"): ApiRow(
            table(403, **CARE_TEAM_ONLY), body=lambda w: {"diet": ["gluten_free", "halal"]}
        ),
        ("GET", "/children/{child_id}/adults"): ApiRow(table(403, **CHILD_READERS)),
        ("POST", "/children/{child_id}/adults"): ApiRow(
            table(403, **CREATE, outsider=404),
            body=lambda w: {"name": "Күлпаш апа", "relation": "grandmother"},
        ),
        ("PATCH", "/adults/{adult_id}"): ApiRow(
            table(403, **CARE_TEAM_ONLY), body=lambda w: {"note": "Court order renewed"}
        ),
        ("DELETE", "/adults/{adult_id}"): ApiRow(
            table(403, director=204, coordinator=204, outsider=404)
        ),
    },
    build=_build,
    path_ids=lambda w: {
        "participant_id": w["participant"].pk,
        "child_id": w["child"].pk,
        "adult_id": w["adult"].pk,
    },
)
