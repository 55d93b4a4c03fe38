"""Images uploaded for emails and the brand: checked, re-encoded with Pillow, kept in the
database and addressed by an unguessable public name (``<uuid>.png``).

Re-encoding is the safety step: whatever arrives (a PNG with a script appended, EXIF with a
home address, a 20,000-pixel-wide photo) leaves as plain pixels in PNG or JPEG, the two formats
every mail client shows, at most ``MAX_WIDTH`` wide.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Image

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # refused before decoding: no decompression bombs
MAX_WIDTH = 1200  # twice a 600 px email: sharp on high-density screens, still small
ACCEPTED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP"}
JPEG_QUALITY = 85
PUBLIC_PREFIX = "/media/"
# truncated or corrupt data, a pixel format Pillow cannot convert, a decompression bomb
UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    PILImage.DecompressionBombError,
)


class ImageRejected(ValueError):
    """An upload Herald will not store; the message is written for the person uploading."""


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


def encode_image(raw: bytes) -> Encoded:
    """Check and re-encode ``raw``; raise :class:`ImageRejected` with a readable reason."""
    if not raw:
        raise ImageRejected("The file is empty.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImageRejected(
            f"The file is {len(raw) / 1048576:.1f} MB; images can be at most "
            f"{MAX_UPLOAD_BYTES // 1048576} MB."
        )
    try:
        source = PILImage.open(io.BytesIO(raw))
        if source.format not in ACCEPTED_FORMATS:
            raise ImageRejected(_format_message(source.format))
        if source.width * source.height > MAX_SOURCE_PIXELS:
            raise ImageRejected("The image has too many pixels; use one under 40 megapixels.")
        source.load()
        return _reencode(source)
    except ImageRejected:
        raise
    except UNREADABLE:
        raise ImageRejected(_format_message(None)) from None


def _format_message(found: str | None) -> str:
    accepted = ", ".join(ACCEPTED_FORMATS.values())
    what = f"a {found} file" if found else "not an image Herald can read"
    return f"This is {what}. Upload {accepted}."


def _reencode(source: PILImage.Image) -> Encoded:
    image = ImageOps.exif_transpose(source)  # keep the orientation the camera meant
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    keep_png = source.format in ("PNG", "GIF") or has_alpha
    image = image.convert("RGBA" if has_alpha else "RGB")
    if image.width > MAX_WIDTH:
        height = max(1, round(image.height * MAX_WIDTH / image.width))
        image = image.resize((MAX_WIDTH, height), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    if keep_png:
        image.save(out, "PNG", optimize=True)
        content_type = "image/png"
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return Encoded(out.getvalue(), content_type, image.width, image.height)


def store_image(
    org_id: uuid.UUID, raw: bytes, *, filename: str = "", user_id: uuid.UUID | None = None
) -> Image:
    """Re-encode and keep an upload; the same picture uploaded twice is stored once."""
    encoded = encode_image(raw)
    digest = hashlib.sha256(encoded.data).hexdigest()
    existing = db.session.scalars(
        select(Image).where(Image.org_id == org_id, Image.sha256 == digest)
    ).first()
    if existing is not None:
        return existing
    image = Image(
        org_id=org_id,
        content_type=encoded.content_type,
        data=encoded.data,
        byte_size=len(encoded.data),
        width=encoded.width,
        height=encoded.height,
        sha256=digest,
        filename=filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200],
        created_by_id=user_id,
    )
    db.session.add(image)
    db.session.flush()
    return image


def public_name(image: Image) -> str:
    return f"{image.id}.{image.extension}"


def public_url(image: Image, base_url: str) -> str:
    return base_url.rstrip("/") + PUBLIC_PREFIX + public_name(image)


def find_by_public_name(name: str) -> Image | None:
    """The image a public name addresses, or None (wrong extension and bad ids too)."""
    stem, _, extension = name.partition(".")
    try:
        image_id = uuid.UUID(stem)
    except ValueError:
        return None
    image = db.session.get(Image, image_id)
    if image is None or image.extension != extension:
        return None
    return image


def is_hosted_url(url: str, base_url: str) -> bool:
    """True for an address of an image Herald serves itself (``<public url>/media/…``)."""
    return url.startswith(base_url.rstrip("/") + PUBLIC_PREFIX)
