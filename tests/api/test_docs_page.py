"""/docs: Swagger UI from the installed package, under a CSP that names no other origin."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from api.observability import DOCS_CSP


def test_docs_page_loads_only_from_the_app(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == DOCS_CSP
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(source.startswith("/") for source in sources), sources
    assert "<script>" not in html  # no inline script: the CSP would block it
    for source in sources:
        asset = client.get(source)
        asset.close()  # a file response: its file stays open until closed
        assert asset.status_code == 200, source


def test_docs_serves_only_what_the_page_needs(client: FlaskClient) -> None:
    bundle = client.get("/docs/ui/swagger-ui-bundle.js")
    bundle.close()
    assert (bundle.status_code, bundle.mimetype) == (200, "text/javascript")
    assert client.get("/docs/ui/index.html").status_code == 404
    assert client.get("/docs/ui/swagger-initializer.js").status_code == 404
    assert client.get("/docs/ui/..%2f__init__.py").status_code == 404
    assert client.get("/redoc").status_code == 404
