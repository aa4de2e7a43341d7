"""Locales and health checks."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from redis import Redis
from redis.exceptions import RedisError
from werkzeug.exceptions import ServiceUnavailable

from api.cache import cached_read
from api.db import get_db
from api.i18n import native_name
from api.routes import declare_errors, declare_not_modified
from api.schemas.common import HealthOut, LocaleListOut, ReadyOut
from content.locales import SERVED_LOCALES

blp = Blueprint("meta", __name__, description="Supported languages and health checks.")


@blp.route("/v1/locales")
class Locales(MethodView):
    @cached_read
    @blp.response(200, LocaleListOut)
    @declare_not_modified(blp)
    def get(self) -> dict[str, Any]:
        """The languages the service answers in, each named in itself"""
        return {
            "items": [{"code": code, "name": native_name(code)} for code in SERVED_LOCALES],
            "default": current_app.config["SETTINGS"].default_locale,
        }


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthOut)
    @declare_not_modified(blp)
    def get(self) -> dict[str, str]:
        """The process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, ReadyOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 503)
    def get(self) -> dict[str, str]:
        """The process can serve: the database answers, and Redis when it is configured"""
        get_db().ping()
        answer = {"status": "ok", "database": "ok"}
        redis_url = current_app.config["SETTINGS"].redis_url
        if redis_url:
            try:
                Redis.from_url(redis_url, socket_timeout=1).ping()
            except RedisError as error:
                unavailable = ServiceUnavailable()
                # read by ProblemApi
                unavailable.data = {"headers": {"Retry-After": "5"}}  # type: ignore[attr-defined]
                raise unavailable from error
            answer["redis"] = "ok"
        return answer
