"""HTTP as the RFCs say: 405 with Allow, 401 with WWW-Authenticate, 429 and 503 with
Retry-After, a 304 with the validators and caching headers of its 200 — and the document
describing it all is valid OpenAPI 3.1."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests, Unauthorized

from api.app import create_app
from tests.conftest import bearer

CACHING_HEADERS = ("ETag", "Cache-Control", "Vary")


def test_405_lists_the_allowed_methods(client: FlaskClient) -> None:
    response = client.put("/v1/locales")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.mimetype == "application/problem+json"


def test_a_method_an_upload_route_lacks_is_405_whatever_its_body(client: FlaskClient) -> None:
    """Uploads are allowed by route; a request that matches no route gets its 405 (or
    404), not the 415 that a JSON-only route gives a file."""
    response = client.put("/v1/admin/images", data={"file": (io.BytesIO(b"x"), "a.png")})
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert (
        client.post("/v1/no-such-thing", data={"file": (io.BytesIO(b"x"), "a.png")}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("method", "path", "scheme"),
    [
        ("post", "/v1/checkpoints/kz-kordai/status", "Bearer"),
        ("get", "/v1/devices/1", "Device"),
        ("get", "/v1/admin/campaigns", "Bearer"),
        ("delete", "/v1/auth/tokens/current", "Bearer"),
    ],
)
def test_401_says_how_to_authenticate(
    client: FlaskClient, method: str, path: str, scheme: str
) -> None:
    response = getattr(client, method)(path, json={"state": "open"} if method == "post" else None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(f"{scheme} realm=")


def test_a_wrong_password_is_a_401_with_a_challenge(client: FlaskClient) -> None:
    response = client.post("/v1/auth/tokens", json={"email": "nobody@x.test", "password": "x"})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_errors_raised_bare_still_carry_the_headers_http_requires(
    app: Flask, client: FlaskClient
) -> None:
    """The central handler adds what a raiser forgot, once for every view."""

    @app.get("/v1/test/<int:status>")
    def bare(status: int) -> None:
        raise {401: Unauthorized, 429: TooManyRequests, 503: ServiceUnavailable}[status]()

    assert client.get("/v1/test/401").headers["WWW-Authenticate"].startswith("Bearer")
    assert int(client.get("/v1/test/429").headers["Retry-After"]) > 0
    assert int(client.get("/v1/test/503").headers["Retry-After"]) > 0


def test_a_raiser_s_own_headers_are_kept(app: Flask, client: FlaskClient) -> None:
    @app.get("/v1/test/busy")
    def busy() -> None:
        error = ServiceUnavailable()
        error.data = {"headers": {"Retry-After": "42"}}  # type: ignore[attr-defined]  # read by ProblemApi
        raise error

    response = client.get("/v1/test/busy")
    assert response.status_code == 503
    assert response.headers.getlist("Retry-After") == ["42"]


@pytest.fixture
def limited(database_url: str, session_factory: sessionmaker[Session]) -> Iterator[FlaskClient]:
    app = create_app(
        {"database_url": database_url, "rate_limits_enabled": True, "version_ttl_seconds": 0}
    )
    app.extensions["db"].sessionmaker = session_factory
    yield app.test_client()
    app.extensions["db"].engine.dispose()


def test_429_says_when_to_come_back(limited: FlaskClient) -> None:
    """Flask-Limiter's own Retry-After (the window's reset) wins over the 1 s default."""
    device = {"token": "t", "platform": "ios", "locale": "ru"}
    answers = [limited.post("/v1/devices", json={**device, "token": f"t{i}"}) for i in range(11)]
    throttled = answers[-1]
    assert throttled.status_code == 429
    assert throttled.headers.getlist("Retry-After") != ["1"]
    assert len(throttled.headers.getlist("Retry-After")) == 1
    assert int(throttled.headers["Retry-After"]) > 60  # the hour's window, not the default


def test_503_when_the_database_is_down_says_when_to_come_back(
    app: Flask, client: FlaskClient
) -> None:
    @app.get("/v1/test/database")
    def database() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    response = client.get("/v1/test/database")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/problem+json"


def test_503_from_readyz_says_when_to_come_back(app: Flask, client: FlaskClient) -> None:
    app.config["SETTINGS"].redis_url = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def _assert_304_like_200(client: FlaskClient, path: str, headers: dict[str, str]) -> None:
    first = client.get(path, headers=headers)
    assert first.status_code == 200
    again = client.get(path, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    for name in CACHING_HEADERS:
        assert again.headers.get(name) == first.headers.get(name), name
        assert again.headers.get(name), name


def test_304_from_the_read_cache_carries_the_200_s_headers(client: FlaskClient) -> None:
    _assert_304_like_200(client, "/v1/checkpoints?lang=kk", {})


def test_304_without_the_read_cache_carries_the_200_s_headers(
    app: Flask, client: FlaskClient
) -> None:
    app.config["SETTINGS"].public_cache_enabled = False
    _assert_304_like_200(client, "/v1/checkpoints/kz-kordai", {"Accept-Language": "uz"})


def test_304_for_a_device_s_own_data_carries_the_200_s_headers(client: FlaskClient) -> None:
    device = client.post(
        "/v1/devices", json={"token": "etag-test", "platform": "ios", "locale": "kk"}
    ).get_json()
    auth = {"Authorization": f"Device {device['secret']}"}
    _assert_304_like_200(client, f"/v1/devices/{device['id']}", auth)


def test_304_for_an_agency_s_authenticated_read(
    client: FlaskClient, agency_key: Callable[[], str]
) -> None:
    _assert_304_like_200(client, "/v1/locales", bearer(agency_key()))


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema


def test_the_document_hides_nothing(client: FlaskClient) -> None:
    """No catch-all `default`; every error declared with the problem schema; id paths bounded."""
    spec = client.get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):
            if parameter["schema"].get("type") == "integer":
                assert parameter["schema"]["minimum"] >= 1, path
                assert parameter["schema"]["maximum"] <= 2**31 - 1, path
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "default" not in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    content = spec["components"]["responses"][name]["content"]
                    assert list(content) == ["application/problem+json"], (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/v1/customs/medicines?q=tr%00amadol", None, "q"),
        ("get", "/v1/checkpoints/kz-%00kordai", None, "_path"),
        ("post", "/v1/devices", {"token": "a\x00", "platform": "ios", "locale": "ru"}, "token"),
        ("post", "/v1/customs/check", {"items": [{"category": "c\x00"}]}, "items.0.category"),
    ],
)
def test_nul_characters_are_refused_before_they_reach_the_database(
    client: FlaskClient, method: str, path: str, body: object, field: str
) -> None:
    """PostgreSQL's text cannot hold U+0000: the query would fail (500) — found by fuzzing."""
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
