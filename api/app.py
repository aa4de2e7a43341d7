"""The application factory: config -> db -> Api -> i18n -> blueprints -> CLI."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import re
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from werkzeug.middleware.proxy_fix import ProxyFix

from api import (
    apidocs,
    app_check,
    cache,
    cli,
    console,
    errors,
    i18n,
    limits,
    observability,
    openapi,
)
from api.config import Settings
from api.db import Database, make_engine
from api.errors import TOO_DEEP, ProblemApi
from api.i18n import current_locale
from content.errors import N_, FieldProblem, Invalid

log = logging.getLogger(__name__)

WRITE_METHODS = {"POST", "PUT", "PATCH"}
#: the only API routes (URL rules) that take multipart bodies (files) instead of JSON
UPLOAD_RULES = {
    "/v1/admin/images",
    "/v1/admin/campaigns/<string:slug>/translations/<string:locale>/po",
    "/v1/admin/customs/translations/<string:locale>/po",
}


#: how deeply a JSON body may nest; ours nest 3 levels, and Python's parser recurses
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests arrays and objects, without parsing it (a parser
    recurses, and a 2 KB body nested 1,000 deep raises RecursionError)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(_DEPTH_STEP[b] for b in brackets), default=0)


def nul_fields() -> list[str]:
    """Where the request carries a NUL character: `_path`, query names, body paths."""
    found = ["_path"] if "\x00" in request.path else []
    found += [name for name, value in request.args.items(multi=True) if "\x00" in name + value]
    if request.is_json and b"\\u0000" in request.get_data():
        found += _nul_paths(request.get_json(silent=True), "")
    return found


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path or "_request"] if "\x00" in value else []
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(str(index), item) for index, item in enumerate(value)]
    found = []
    for key, item in items:
        item_path = f"{path}.{key}" if path else key
        if "\x00" in key:
            found.append(item_path)
        found += _nul_paths(item, item_path)
    return found


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = dataclasses.replace(Settings(), **(overrides or {}))
    settings.validate()

    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep schema field order
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key or "development-only-not-secret",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="My Border",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Swagger UI from the pinned package, served by the app (api/apidocs.py); no
        # ReDoc: no package ships it without a second web framework (FastAPI, Django)
        OPENAPI_SWAGGER_UI_URL=apidocs.SWAGGER_UI_URL,
        API_SPEC_OPTIONS={
            "info": {
                "description": "Border-crossing information for Central Asia: checkpoint "
                "status and queues in seven languages."
            },
            "components": {
                "securitySchemes": {
                    "agencyKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A border service's API key (`flask agency create`)",
                    },
                    "userToken": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A console user's token from POST /v1/auth/tokens",
                    },
                    "deviceSecret": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "Authorization",
                        "description": "`Device <secret>`, as returned by POST /v1/devices",
                    },
                }
            },
        },
    )

    engine_for = functools.partial(
        make_engine,
        connect_timeout=settings.database_connect_timeout_seconds,
        prepare_threshold=settings.database_prepare_threshold,
    )
    replica_url = settings.database_replica_url
    database = Database(
        engine_for(settings.database_url), engine_for(replica_url) if replica_url else None
    )
    database.init_app(app)
    cache.init_app(app, database)
    api = ProblemApi(app)
    openapi.init_app(app, api)
    errors.init_app(app)
    i18n.init_app(app)
    limits.init_app(app)
    app_check.init_app(app)
    observability.init_app(app)

    from api.routes import (
        agencies,
        audit,
        auth,
        campaigns,
        checkpoints,
        crossings,
        crowd,
        customs,
        devices,
        images,
        meta,
        open_data,
        push,
    )

    api.register_blueprint(meta.blp)
    api.register_blueprint(checkpoints.blp)
    api.register_blueprint(crossings.blp)
    api.register_blueprint(crowd.blp)
    api.register_blueprint(devices.blp)
    api.register_blueprint(campaigns.blp)
    api.register_blueprint(customs.blp)
    api.register_blueprint(auth.blp)
    api.register_blueprint(push.blp)
    api.register_blueprint(audit.blp)
    api.register_blueprint(agencies.blp)
    api.register_blueprint(open_data.blp)
    app.register_blueprint(images.blp)
    app.register_blueprint(apidocs.blp)
    console.init_app(app)

    @app.before_request
    def _json_bodies_only() -> None:
        has_body = (request.content_length or 0) > 0 or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        if request.url_rule is None:  # no such route or method: its 404 or 405 answers
            return
        uploads = (
            request.url_rule.rule in UPLOAD_RULES and request.mimetype == "multipart/form-data"
        )
        if (
            request.method in WRITE_METHODS
            and request.path.startswith("/v1/")
            and has_body
            and not (request.is_json or uploads)
        ):
            raise UnsupportedMediaType()

    @app.before_request
    def _json_within_limits() -> None:
        if not request.is_json:
            return
        body = request.get_data(cache=True)
        limit = request.max_content_length
        if (
            request.content_length is None  # chunked: werkzeug stops reading at the limit
            and limit is not None
            and len(body) >= limit
            and request.environ["wsgi.input"].read(1)
        ):
            raise RequestEntityTooLarge()
        if json_depth(body) > MAX_JSON_DEPTH:
            too_deep = BadRequest()
            too_deep.data = {"detail": gettext(TOO_DEEP, limit=MAX_JSON_DEPTH)}  # type: ignore[attr-defined]  # read by ProblemApi
            raise too_deep

    @app.before_request
    def _no_nul_characters() -> None:
        # PostgreSQL's text cannot hold U+0000 (it fails the query: a 500); JSON and
        # URLs can carry it, so it is refused here, for the path, the query and the body
        problems = [FieldProblem(name, N_("Invalid value.")) for name in nul_fields()]
        if problems:
            raise Invalid(problems)

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError) -> Response:
        log.error("database unavailable: %s", error)
        unavailable = ServiceUnavailable()
        unavailable.data = {"headers": {"Retry-After": "5"}}  # type: ignore[attr-defined]  # read by ProblemApi
        return api.handle_http_exception(unavailable)

    @app.after_request
    def _public_caching(response: Response) -> Response:
        if request.method not in {"GET", "HEAD"} or response.status_code != 200:
            return response
        if response.get_etag()[0]:
            return response  # a cached public read: it carries its own validators
        if "Authorization" in request.headers:
            # a device's or agency's own data: never kept by a shared cache
            response.cache_control.private = True
            response.cache_control.no_store = True
            response.add_etag()
        elif request.path.startswith("/v1/"):
            response.cache_control.public = True
            response.cache_control.max_age = settings.public_cache_seconds
            # named by its content, as the read cache names it: not by when it was rendered
            read = cache.read_key(request.path, request.query_string.decode(), current_locale())
            response.headers["ETag"] = cache.content_etag(read, response.get_data())
        else:
            response.add_etag()
        response.make_conditional(request)
        return response

    cli.init_app(app)
    app.wsgi_app = cache.FastReads(app)  # type: ignore[method-assign]  # WSGI middleware
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # WSGI middleware
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    return app
