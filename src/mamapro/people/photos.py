"""A child's photo as it is stored: checked before it is decoded, re-encoded small.

An uploaded picture is refused before Pillow decodes a pixel when the file is too big or its
header claims too many pixels: a 20 KB PNG can claim 20000 × 20000 and would need gigabytes
once decoded (a decompression bomb), and even a real 48-megapixel photo costs ~150 MB per
copy. What passes is re-encoded as a small JPEG, which also drops its EXIF (a phone's photo
carries where it was taken). Only the formats phones and cameras write are opened at all:
no EPS (Ghostscript), PSD or other decoders an attacker could aim at.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # 40 megapixels: every phone camera, no bomb
PHOTO_MAX_SIDE = 800
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def clean_photo(upload: Any) -> bytes:
    """The upload as a JPEG of at most PHOTO_MAX_SIDE pixels a side, without metadata; or a
    ValidationError on "photo" that says what is wrong."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _("The photo is too large (at most 8 MB).")})
    unreadable = ValidationError({"photo": _("This file is not a photo we can read.")})
    try:
        original = Image.open(upload, formats=PHOTO_FORMATS)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise unreadable from None
    with original:
        # Image.open read the header only: the size is known, no pixel decoded yet.
        width, height = original.size
        if width * height > PHOTO_MAX_PIXELS:
            raise _too_many_pixels()
        try:
            # A JPEG decodes straight to a reduced scale: less memory for the same result.
            original.draft("RGB", (PHOTO_MAX_SIDE * 2, PHOTO_MAX_SIDE * 2))
            upright = ImageOps.exif_transpose(original)
            picture = (upright or original).convert("RGB")
            picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=85)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise unreadable from None
    return out.getvalue()


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        {
            "photo": _(
                "The photo has too many pixels (at most %(mp)s megapixels); "
                "please send a smaller copy."
            )
            % {"mp": PHOTO_MAX_PIXELS // 1_000_000}
        }
    )
