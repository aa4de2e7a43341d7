"""Version ETags of what editors change, and the version an update names in If-Match.

An editable resource's ETag is its version number (`"v3"`): the service compares it with
the version it holds, so a stale update is refused (412) whoever else saved in between.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import PreconditionRequired

from content.errors import N_, PreconditionFailed


def version_etag(version: int) -> str:
    """The ETag header's value for a resource at a version; If-Match sends it back."""
    return f'"v{version}"'


def expected_version() -> int:
    """The version named by If-Match: 428 without it, 412 when it is not one of ours."""
    if not request.if_match or request.if_match.star_tag:
        raise PreconditionRequired()
    tags = list(request.if_match.as_set())
    if len(tags) != 1 or not tags[0].startswith("v") or not tags[0][1:].isdigit():
        raise PreconditionFailed(N_("The resource has changed since you last read it."))
    return int(tags[0][1:])
