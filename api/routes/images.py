"""Uploaded campaign images, served with long cache headers (their URL never changes)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_file

from api.db import get_session
from content.campaigns.models import Image
from content.errors import N_, NotFound

blp = Blueprint("images", __name__)
ONE_YEAR = 365 * 24 * 3600


@blp.get("/media/images/<id:image_id>")
def image(image_id: int) -> Response:
    row = get_session().get(Image, image_id)
    if row is None:
        raise NotFound(N_("No image with id %(id)s."), id=image_id)
    path = current_app.config["SETTINGS"].image_path / row.sha256
    response = send_file(path, mimetype=row.content_type, max_age=ONE_YEAR, etag=row.sha256)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
