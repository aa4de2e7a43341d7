"""/docs: flask-smorest's Swagger UI page, with Swagger UI's files served by the app itself
from the pinned `swagger-ui-bundle-v2` package instead of a CDN, so that the page works
offline and runs under a CSP that names no other origin (observability.DOCS_CSP).

flask-smorest renders `swagger_ui.html` with the files at OPENAPI_SWAGGER_UI_URL; the
app's own `templates/swagger_ui.html` takes precedence over its template, and starts
Swagger UI from the app's `static/docs/start.js` instead of an inline script.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

#: OPENAPI_SWAGGER_UI_URL: where the page loads Swagger UI's files from
SWAGGER_UI_URL = "/docs/ui/"
#: the files of the package the page needs; nothing else of it is served
SWAGGER_UI_FILES = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
}

blp = Blueprint("docs_ui", __name__)


@blp.get(SWAGGER_UI_URL + "<name>")
def swagger_ui_file(name: str) -> Response:
    """One of Swagger UI's files, from the installed package."""
    if name not in SWAGGER_UI_FILES:
        raise NotFound()
    return send_from_directory(str(swagger_ui_path), name, max_age=3600)
