"""Senders: how outbox rows reach FCM. Chosen by PUSH_BACKEND.

- ``firebase``: the firebase-admin SDK against Google's FCM.
- ``fake``: the same SDK, pointed at the local fake FCM server (push/fake_fcm.py), with a
  generated service account whose token URL is that server: no Google account needed.
- ``log``: writes what it would send.

The SDK retries 500/503 itself, sleeps on Retry-After and waits 120 s by default; a
worker holding a lease cannot afford that. So the SDK's HTTP retries are switched off,
its timeout is short (FCM_HTTP_TIMEOUT_SECONDS), and retries happen in the outbox.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: FCM's own limits per call
MAX_SEND_BATCH = 500
MAX_TOPIC_BATCH = 1000


@dataclass(frozen=True)
class Outgoing:
    """One message to send: the payload of an outbox row and its target."""

    payload: dict[str, Any]
    created_at: datetime
    token: str | None = None
    topic: str | None = None
    #: a Firebase installation ID: the target instead of the token when set
    fid: str | None = None


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_id: str | None = None
    #: FCM's error code: UNREGISTERED, INVALID_ARGUMENT, QUOTA_EXCEEDED, UNAVAILABLE…
    error: str | None = None
    retry_after: float | None = None


class Sender(Protocol):
    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]: ...

    def subscribe(self, tokens: Sequence[str], topic: str) -> list[SendResult]: ...

    def unsubscribe(self, tokens: Sequence[str], topic: str) -> list[SendResult]: ...


class LogSender:
    """Logs what it would send and reports success."""

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        for message in messages:
            log.info("push to %s: %s", message.topic or "device", json.dumps(message.payload))
        return [SendResult(ok=True, message_id=f"log-{uuid.uuid4().hex}") for _ in messages]

    def subscribe(self, tokens: Sequence[str], topic: str) -> list[SendResult]:
        log.info("subscribe %d token(s) to %s", len(tokens), topic)
        return [SendResult(ok=True) for _ in tokens]

    def unsubscribe(self, tokens: Sequence[str], topic: str) -> list[SendResult]:
        log.info("unsubscribe %d token(s) from %s", len(tokens), topic)
        return [SendResult(ok=True) for _ in tokens]


class FCMSender:
    """Sends through firebase-admin's messaging API."""

    def __init__(
        self,
        *,
        credentials: dict[str, Any] | str,
        project_id: str | None = None,
        http_timeout: float = 10.0,
        base_url: str | None = None,
        app_name: str | None = None,
    ) -> None:
        import firebase_admin
        from firebase_admin import credentials as fb_credentials
        from firebase_admin import messaging

        self._messaging = messaging
        options: dict[str, Any] = {"httpTimeout": http_timeout}
        if project_id:
            options["projectId"] = project_id
        self.app = firebase_admin.initialize_app(
            fb_credentials.Certificate(credentials),
            options=options,
            name=app_name or f"myborder-{uuid.uuid4().hex[:8]}",
        )
        if base_url:
            _no_google_lookups(self.app.credential.get_credential())
        self._service = messaging._get_messaging_service(self.app)
        _no_sdk_retries(self._service)
        if base_url:
            _point_at(self._service, base_url.rstrip("/"), self.app.project_id)

    def close(self) -> None:
        """Delete the SDK app. Its cleanup calls asyncio.run(), which fails inside a running
        event loop, so it runs in a thread of its own."""
        import firebase_admin

        closer = threading.Thread(target=firebase_admin.delete_app, args=(self.app,))
        closer.start()
        closer.join()

    def send(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        results: list[SendResult] = []
        for start in range(0, len(messages), MAX_SEND_BATCH):
            batch = [self._build(m) for m in messages[start : start + MAX_SEND_BATCH]]
            response = self._messaging.send_each(batch, app=self.app)
            results.extend(
                _result(r.success, r.message_id, r.exception) for r in response.responses
            )
        return results

    def subscribe(self, tokens: Sequence[str], topic: str) -> list[SendResult]:
        return self._topic_call(self._messaging.subscribe_to_topic, tokens, topic)

    def unsubscribe(self, tokens: Sequence[str], topic: str) -> list[SendResult]:
        return self._topic_call(self._messaging.unsubscribe_from_topic, tokens, topic)

    def _topic_call(self, call: Any, tokens: Sequence[str], topic: str) -> list[SendResult]:
        from firebase_admin import exceptions

        results: list[SendResult] = []
        for start in range(0, len(tokens), MAX_TOPIC_BATCH):
            chunk = list(tokens[start : start + MAX_TOPIC_BATCH])
            try:
                response = call(chunk, topic, app=self.app)
            except exceptions.FirebaseError as error:
                results.extend(_result(False, None, error) for _ in chunk)
                continue
            outcome = [SendResult(ok=True)] * len(chunk)
            for failure in response.errors:
                outcome[failure.index] = SendResult(ok=False, error=str(failure.reason).upper())
            results.extend(outcome)
        return results

    def _build(self, outgoing: Outgoing) -> Any:
        """A firebase_admin Message with its expiry on every platform, and its collapse
        keys as push/messages.py describes them."""
        m = self._messaging
        payload = outgoing.payload
        ttl = int(payload.get("ttl_seconds", 3600))
        expires = outgoing.created_at + timedelta(seconds=ttl)
        remaining = max(0, int((expires - datetime.now(UTC)).total_seconds()))
        tag = payload["collapse_key"]
        # rows queued before FCM collapsing became a choice collapse on their display key
        fcm_collapse_key = payload.get("fcm_collapse_key", tag)
        target: dict[str, Any] = {"topic": outgoing.topic}
        if outgoing.fid:
            target["fid"] = outgoing.fid
        elif outgoing.token:
            target["token"] = outgoing.token
        with warnings.catch_warnings():
            # firebase-admin 7.5 deprecates `token` for `fid`; devices that gave only a
            # token (older apps) are still reached through it, as FCM's HTTP v1 API allows
            warnings.filterwarnings("ignore", "Message.token is deprecated")
            return m.Message(
                **target,
                notification=m.Notification(title=payload["title"], body=payload["body"]),
                data={str(k): str(v) for k, v in payload.get("data", {}).items()},
                android=m.AndroidConfig(
                    collapse_key=fcm_collapse_key,
                    ttl=remaining,
                    priority="high",
                    notification=m.AndroidNotification(tag=tag),
                ),
                apns=m.APNSConfig(
                    headers={
                        "apns-collapse-id": tag,
                        "apns-expiration": str(int(expires.timestamp())),
                    }
                ),
                webpush=m.WebpushConfig(headers={"TTL": str(remaining), "Topic": tag[:32]}),
            )


def _result(ok: bool, message_id: str | None, exception: Exception | None) -> SendResult:
    if ok:
        return SendResult(ok=True, message_id=message_id)
    return SendResult(ok=False, error=error_code(exception), retry_after=retry_after(exception))


def error_code(exception: Exception | None) -> str:
    """FCM's error code for an SDK exception (defensive: unknown shapes are UNKNOWN)."""
    from firebase_admin import exceptions, messaging

    specific = {
        messaging.UnregisteredError: "UNREGISTERED",
        messaging.SenderIdMismatchError: "SENDER_ID_MISMATCH",
        messaging.QuotaExceededError: "QUOTA_EXCEEDED",
        messaging.ThirdPartyAuthError: "THIRD_PARTY_AUTH_ERROR",
    }
    for cls, code in specific.items():
        if isinstance(exception, cls):
            return code
    if isinstance(exception, exceptions.FirebaseError):
        return str(exception.code or "UNKNOWN").upper()
    return "UNKNOWN"


def retry_after(exception: Exception | None) -> float | None:
    """Seconds from a Retry-After header on the SDK's HTTP response, if any."""
    response = getattr(exception, "http_response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(str(value))
        except (TypeError, ValueError):
            return None
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _no_sdk_retries(service: Any) -> None:
    """Retries belong to the outbox: mount adapters that do not retry or sleep."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    adapter = HTTPAdapter(
        pool_connections=100, pool_maxsize=100, max_retries=Retry(total=0, raise_on_status=False)
    )
    for prefix in ("https://", "http://", "https://fcm.googleapis.com"):
        service._client.session.mount(prefix, adapter)


def _no_google_lookups(credential: Any) -> None:
    """google-auth looks up a service account's "regional access boundary" at Google after
    each token refresh. Against the fake server there is no Google to ask: give the
    credential a boundary up front (the hook google-auth keeps for gcloud), so that it
    never tries. The OAuth token exchange itself still goes to the fake server."""
    expiry = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3650)
    credential._set_regional_access_boundary({"encodedLocations": "0x0", "expiry": expiry})


def _point_at(service: Any, base_url: str, project_id: str) -> None:
    """Send the SDK's FCM calls to another server (the local fake). The SDK offers no
    option for it, so its two endpoint attributes are replaced; everything else (message
    encoding, auth, error mapping) stays the SDK's own."""
    service._fcm_url = f"{base_url}/v1/projects/{project_id}/messages:send"
    service._fcm_topic_url = f"{base_url}/v1/projects/{project_id}/registrations"


def fake_service_account(
    base_url: str, path: Path, project_id: str = "myborder-dev"
) -> dict[str, Any]:
    """A service account for the fake FCM server: a fresh RSA key, and a token URL on that
    server. Kept in a file so that every process of a dev setup shares it."""
    if path.exists():
        account: dict[str, Any] = json.loads(path.read_text())
        if account.get("token_uri") == f"{base_url}/token":
            return account
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": f"fake@{project_id}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"{base_url}/token",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(account))
    path.chmod(0o600)
    return account
