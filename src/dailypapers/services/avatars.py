"""Keep organization avatars on this site: fetch each once, when its organization arrives."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urljoin

from dailypapers.domain.avatars import MAX_AVATAR_BYTES, Avatar, image_type
from dailypapers.domain.papers import Organization
from dailypapers.sources.http import FetchError, PoliteFetcher

log = logging.getLogger(__name__)


def fetch_avatars(
    *,
    fetcher: PoliteFetcher,
    organizations: Sequence[Organization],
    base_url: str,
    now: datetime,
) -> list[Avatar]:
    """Fetch these organizations' avatars; return those that are small images.

    An avatar that cannot be had (network, not an image, too large) is left out: pages
    show the organization's initial, and the next ingest tries again.
    """
    avatars = []
    for organization in organizations:
        if not organization.avatar_url:
            continue
        url = urljoin(base_url, organization.avatar_url)  # Hugging Face gives some as paths
        if not url.startswith(("https://", "http://")):
            continue
        try:
            data = fetcher.get(url).content
        except FetchError as error:
            log.warning("avatar of %s not fetched: %s", organization.name, error)
            continue
        media_type = image_type(data)
        if media_type is None or len(data) > MAX_AVATAR_BYTES:
            log.warning("avatar of %s at %s is not a small image: skipped", organization.name, url)
            continue
        avatars.append(Avatar(organization.name, media_type, data, url, now))
    return avatars
