"""Travellers' devices: registration, follows, queue alerts, quiet hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import app_check
from api.auth import require_device
from api.db import get_session
from api.idempotency import commits
from api.limits import DEVICE_REGISTRATIONS, app_checked_registrations, limiter
from api.routes import declare_errors, declare_not_modified
from api.schemas.devices import (
    AlertIn,
    AlertOut,
    DeviceIn,
    DeviceOut,
    DevicePatchIn,
    DeviceRegisteredOut,
)
from push import devices
from push.models import Device

blp = Blueprint(
    "devices",
    __name__,
    url_prefix="/v1/devices",
    description="A traveller's device: what it follows and which queue alerts it wants. "
    "Authenticate with `Authorization: Device <secret>`.",
)
DEVICE_SECURITY: list[dict[str, list[str]]] = [{"deviceSecret": []}]


def present_device(device: Device) -> dict[str, Any]:
    session = get_session()
    quiet = {"start": device.quiet_start, "end": device.quiet_end} if device.quiet_start else None
    return {
        "id": device.id,
        "platform": device.platform,
        "locale": device.locale,
        "app_version": device.app_version,
        "timezone": device.timezone,
        "quiet_hours": quiet,
        "follows": devices.follows(session, device),
        "alerts": devices.alerts(session, device),
        "created_at": device.created_at,
    }


@blp.route("")
class DeviceRegistration(MethodView):
    @limiter.limit(DEVICE_REGISTRATIONS, exempt_when=app_check.passed)
    @limiter.limit(app_checked_registrations, exempt_when=app_check.not_passed, scope="app-check")
    @app_check.checked
    @commits
    @blp.arguments(DeviceIn)
    @blp.response(201, DeviceRegisteredOut)
    @blp.doc(security=[{}, *DEVICE_SECURITY])  # the secret only to register a token again
    @declare_errors(blp, 400, 401, 403, 409, 413, 415, 429)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a device for push notifications

        Send the FCM registration `token`, the Firebase installation ID `fid`, or both
        (at least one). Topic messages (status changes, broadcasts) need a token;
        messages to this device alone go to its `fid` when it gave one. The secret is
        shown only in this answer; neither token nor fid is ever shown.

        A token that is already registered answers 409, unless the request carries that
        device's own secret (`Authorization: Device <secret>`): then it is the same
        device, its settings are updated and the same id and secret come back. An app
        that has lost its secret deletes its FCM token (Firebase SDK `deleteToken`),
        gets a new one and registers that; the old registration is deleted when FCM
        reports its token as unregistered.

        Send a Firebase App Check token in `X-Firebase-AppCheck`: where the service
        requires App Check, a request without one answers 401; a token that is not
        valid answers 403.
        ---
        Limited per client address: 10 an hour without a valid App Check token, and
        `APP_CHECK_REGISTRATION_RATE_LIMIT` (1,000 an hour) with one, so that the phones
        behind one carrier address can all register.
        """
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        device, secret = devices.register(
            get_session(),
            token=body.get("token"),
            fid=body.get("fid"),
            platform=body["platform"],
            locale=body["locale"],
            app_version=body.get("app_version"),
            secret=(secret.strip() or None) if scheme.lower() == "device" else None,
        )
        return {"id": device.id, "secret": secret}


@blp.route("/<id:device_id>")
class DeviceDetail(MethodView):
    @blp.response(200, DeviceOut)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_not_modified(blp)
    @declare_errors(blp, 401, 404)
    def get(self, device_id: int) -> dict[str, Any]:
        """Read the device's settings, follows and alerts"""
        return present_device(require_device(device_id))

    @commits
    @blp.arguments(DevicePatchIn, required=False)  # every field is optional; none is a no-op
    @blp.response(200, DeviceOut)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_errors(blp, 400, 401, 404, 409, 413, 415)
    def patch(self, body: dict[str, Any], device_id: int) -> dict[str, Any]:
        """Change the device's language, token, time zone or quiet hours

        A token that another device is registered with answers 409; that device is left
        as it is.
        """
        device = require_device(device_id)
        changes: dict[str, Any] = {k: body[k] for k in ("locale", "token", "fid") if k in body}
        for key in ("app_version", "timezone"):
            if key in body:
                changes[key] = body[key]
        if "quiet_hours" in body:
            quiet = body["quiet_hours"]
            changes["quiet_hours"] = (quiet["start"], quiet["end"]) if quiet else None
        devices.update(get_session(), device, **changes)
        return present_device(device)

    @commits
    @blp.response(204)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_errors(blp, 401, 404)
    def delete(self, device_id: int) -> None:
        """Delete the device with all of its data"""
        devices.delete(get_session(), require_device(device_id))


@blp.route("/<id:device_id>/follows/<string:checkpoint_id>")
class DeviceFollow(MethodView):
    @commits
    @blp.response(204)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_errors(blp, 401, 404, 422)
    def put(self, device_id: int, checkpoint_id: str) -> None:
        """Follow a checkpoint: be told when its status changes (at most 50)"""
        devices.follow(get_session(), require_device(device_id), checkpoint_id)

    @commits
    @blp.response(204)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_errors(blp, 401, 404)
    def delete(self, device_id: int, checkpoint_id: str) -> None:
        """Stop following a checkpoint"""
        devices.unfollow(get_session(), require_device(device_id), checkpoint_id)


@blp.route("/<id:device_id>/alerts")
class DeviceAlerts(MethodView):
    @commits
    @blp.arguments(AlertIn)
    @blp.response(201, AlertOut)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_errors(blp, 400, 401, 404, 413, 415)
    def post(self, body: dict[str, Any], device_id: int) -> Any:
        """Ask to be told when a queue gets shorter than a threshold

        The alert fires once when the wait drops below `below_minutes`, and again only
        after the wait has been back above it by a margin (20 %, at least 5 minutes). It
        expires after `expires_in_hours` (24 by default). Quiet hours hold it back.
        """
        return devices.add_alert(
            get_session(),
            require_device(device_id),
            checkpoint_id=body["checkpoint"],
            direction=body["direction"],
            lane=body["lane"],
            below_minutes=body["below_minutes"],
            lifetime=timedelta(hours=body["expires_in_hours"]),
        )


@blp.route("/<id:device_id>/alerts/<id:alert_id>")
class DeviceAlert(MethodView):
    @commits
    @blp.response(204)
    @blp.doc(security=DEVICE_SECURITY)
    @declare_errors(blp, 401, 404)
    def delete(self, device_id: int, alert_id: int) -> None:
        """Cancel a queue alert"""
        devices.delete_alert(get_session(), require_device(device_id), alert_id)
