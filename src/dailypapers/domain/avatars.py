"""Organization avatars: which images the site keeps, told by their first bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_AVATAR_BYTES = 512 * 1024  # Hugging Face's avatars are a few kilobytes to ~100 KB
# Raster formats only: an SVG can carry script, and it would be served from our origin.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class Avatar:
    """An organization's avatar as stored: its bytes, their type, where they came from."""

    organization: str
    content_type: str
    data: bytes
    source_url: str
    fetched_at: datetime


def image_type(data: bytes) -> str | None:
    """Return the image's media type from its first bytes, or None if it is not one we keep."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def initial(fullname: str) -> str:
    """Return the letter shown when there is no avatar."""
    stripped = fullname.strip()
    return stripped[:1].upper() if stripped else "?"
