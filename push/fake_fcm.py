"""A local fake of FCM HTTP v1, for development and tests. Not for production.

It speaks what firebase-admin calls:
- ``POST /token``: the OAuth token endpoint (answers any signed JWT with a token);
- ``POST /v1/projects/{p}/messages:send``: checks the message like FCM does (one target,
  valid topic name, payload size) and records it;
- ``POST|DELETE /v1/projects/{p}/registrations/{token}/topicSubscriptions…``: the v1
  topic management the SDK uses today;
- ``POST /iid/v1:batchAdd`` and ``/iid/v1:batchRemove``: the legacy Instance ID calls.

And a control API for tests: ``POST /_fake/behaviours`` makes given tokens (or all
sends, with token ``*``) answer UNREGISTERED, INVALID_ARGUMENT, QUOTA_EXCEEDED (429 with
Retry-After), UNAVAILABLE (503), or slowly; ``GET /_fake/messages``, ``GET /_fake/topics``,
``GET /_fake/attempts`` (every send, answered or refused, with its time), ``POST /_fake/reset``.

FCM's project quotas are enforced like FCM does, with 429 RESOURCE_EXHAUSTED and a
``Retry-After``: messages per minute (600,000 by default) and topic-management requests
per second (3,000; each v1 per-token request and each IID batchAdd/batchRemove counts
one). ``GET /_fake/stats`` tells what was accepted and refused, and the peak rates seen.
Tests use small quotas, and may shorten the "minute" (``minute=``) to keep them quick.

Run it with ``python -m push.fake_fcm --port 8001 [--log FILE] [--messages-per-minute N]
[--subscriptions-per-second N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

SEND_PATH = re.compile(r"^/v1/projects/([^/]+)/messages:send$")
SUBSCRIPTION_PATH = re.compile(
    r"^/v1/projects/([^/]+)/registrations/([^/]+)/topicSubscriptions(?:/([^/?]+))?$"
)
TOPIC_NAME = re.compile(r"^[a-zA-Z0-9\-_.~%]+$")
MAX_MESSAGE_BYTES = 4096
MAX_TOPIC_MESSAGE_BYTES = 2048
#: FCM's quotas per project
MESSAGES_PER_MINUTE = 600_000
SUBSCRIPTIONS_PER_SECOND = 3_000

log = logging.getLogger(__name__)

ERRORS = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
}


@dataclass
class Behaviour:
    """How the fake answers a token: an error, a delay, for how many more calls."""

    error: str | None = None
    delay: float = 0.0
    retry_after: float | None = None
    times: int | None = None  # None: for ever


class Quota:
    """At most ``limit`` requests in any ``window`` seconds (a sliding window), counting
    what it accepted and refused and the most it ever held in one window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.times: deque[float] = deque()
        self.accepted = 0
        self.refused = 0
        self.peak = 0

    def take(self, now: float) -> float | None:
        """Count one request; None if accepted, else the seconds until one would be."""
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        if len(self.times) >= self.limit:
            self.refused += 1
            return max(0.0, self.times[0] + self.window - now)
        self.times.append(now)
        self.accepted += 1
        self.peak = max(self.peak, len(self.times))
        return None

    def reset(self) -> None:
        self.times.clear()
        self.accepted = self.refused = self.peak = 0

    def stats(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "window_seconds": self.window,
            "accepted": self.accepted,
            "refused": self.refused,
            "peak": self.peak,
        }


@dataclass
class FakeState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: every send that reached the behaviours: target, arrival time, the status answered
    attempts: list[dict[str, Any]] = field(default_factory=list)
    topics: dict[str, set[str]] = field(default_factory=dict)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    requests: int = 0
    log_path: str | None = None
    messages_quota: Quota = field(default_factory=lambda: Quota(MESSAGES_PER_MINUTE, 60.0))
    subscriptions_quota: Quota = field(default_factory=lambda: Quota(SUBSCRIPTIONS_PER_SECOND, 1.0))

    def over_quota(self, quota: Quota) -> float | None:
        """None when the request fits the quota, else its Retry-After in seconds."""
        with self.lock:
            return quota.take(time.monotonic())

    def behaviour_for(self, token: str | None) -> Behaviour | None:
        with self.lock:
            for key in (token, "*"):
                behaviour = self.behaviours.get(key or "")
                if behaviour is None:
                    continue
                if behaviour.times is not None:
                    if behaviour.times <= 0:
                        continue
                    behaviour.times -= 1
                return behaviour
        return None


class Handler(BaseHTTPRequestHandler):
    server: FakeFCMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the base signature
        return

    # -- plumbing --------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw)
        return parse_qs(raw.decode())

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _fcm_error(self, code: str, retry_after: float | None = None) -> None:
        status, grpc_status, message = ERRORS.get(code, ERRORS["INTERNAL"])
        body = {
            "error": {
                "code": status,
                "message": message,
                "status": grpc_status,
                "details": [
                    {
                        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                        "errorCode": code,
                    }
                ],
            }
        }
        headers = (
            {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else {}
        )
        self._send(status, body, headers)

    # -- routes ----------------------------------------------------------------------
    def do_GET(self) -> None:  # http.server's naming
        state = self.server.state
        path = urlparse(self.path).path
        with state.lock:
            if path == "/_fake/messages":
                return self._send(200, {"messages": list(state.messages)})
            if path == "/_fake/attempts":
                return self._send(200, {"attempts": list(state.attempts)})
            if path == "/_fake/topics":
                topics = {topic: sorted(tokens) for topic, tokens in state.topics.items()}
                return self._send(200, {"topics": topics})
            if path == "/_fake/stats":
                return self._send(
                    200,
                    {
                        "messages": state.messages_quota.stats(),
                        "subscriptions": state.subscriptions_quota.stats(),
                    },
                )
            if path == "/_fake/health":
                return self._send(200, {"status": "ok", "requests": state.requests})
        return self._send(404, {"error": "not found"})

    def do_DELETE(self) -> None:  # http.server's naming
        match = SUBSCRIPTION_PATH.match(urlparse(self.path).path)
        if not match or not match.group(3):
            return self._send(404, {"error": "not found"})
        token, topic = unquote(match.group(2)), unquote(match.group(3))
        return self._topic_change(token, topic, subscribe=False)

    def do_POST(self) -> None:  # http.server's naming
        state = self.server.state
        url = urlparse(self.path)
        with state.lock:
            state.requests += 1
        body = self._body()
        if url.path == "/token":
            return self._send(
                200,
                {
                    "access_token": f"fake-{uuid.uuid4().hex}",
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            )
        if url.path == "/_fake/behaviours":
            with state.lock:
                for token, spec in body.items():
                    state.behaviours[token] = Behaviour(**spec)
            return self._send(200, {"ok": True})
        if url.path == "/_fake/reset":
            with state.lock:
                state.messages.clear()
                state.attempts.clear()
                state.topics.clear()
                state.behaviours.clear()
                state.requests = 0
                state.messages_quota.reset()
                state.subscriptions_quota.reset()
            return self._send(200, {"ok": True})
        if url.path in ("/iid/v1:batchAdd", "/iid/v1:batchRemove"):
            wait = state.over_quota(state.subscriptions_quota)
            if wait is not None:
                return self._fcm_error("QUOTA_EXCEEDED", wait)
            topic = str(body.get("to", "")).removeprefix("/topics/")
            tokens = body.get("registration_tokens", [])
            results = []
            for token in tokens:
                behaviour = state.behaviour_for(token)
                if behaviour and behaviour.error:
                    results.append({"error": "NOT_FOUND"})
                    continue
                with state.lock:
                    members = state.topics.setdefault(topic, set())
                    (members.add if url.path.endswith("batchAdd") else members.discard)(token)
                results.append({})
            return self._send(200, {"results": results})
        match = SUBSCRIPTION_PATH.match(url.path)
        if match:
            topic = parse_qs(url.query).get("topic_name", [""])[0]
            return self._topic_change(unquote(match.group(2)), topic, subscribe=True)
        match = SEND_PATH.match(url.path)
        if match:
            return self._message(body)
        return self._send(404, {"error": "not found"})

    def _topic_change(self, token: str, topic: str, *, subscribe: bool) -> None:
        state = self.server.state
        if not TOPIC_NAME.match(topic):
            return self._fcm_error("INVALID_ARGUMENT")
        wait = state.over_quota(state.subscriptions_quota)
        if wait is not None:
            return self._fcm_error("QUOTA_EXCEEDED", wait)
        behaviour = state.behaviour_for(token)
        if behaviour and behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour and behaviour.error:
            return self._fcm_error(behaviour.error, behaviour.retry_after)
        with state.lock:
            members = state.topics.setdefault(topic, set())
            if subscribe:
                members.add(token)
            else:
                members.discard(token)
        return self._send(200, {})

    def _message(self, body: dict[str, Any]) -> None:
        state = self.server.state
        message = body.get("message") or {}
        targets = [key for key in ("fid", "token", "topic", "condition") if message.get(key)]
        if len(targets) != 1:
            return self._fcm_error("INVALID_ARGUMENT")
        size = len(json.dumps(message, ensure_ascii=False).encode())
        topic = message.get("topic")
        if topic is not None and not TOPIC_NAME.match(topic):
            return self._fcm_error("INVALID_ARGUMENT")
        if size > (MAX_TOPIC_MESSAGE_BYTES if topic else MAX_MESSAGE_BYTES):
            return self._fcm_error("INVALID_ARGUMENT")
        target = message.get("fid") or message.get("token") or topic
        wait = state.over_quota(state.messages_quota)
        if wait is not None:
            with state.lock:
                state.attempts.append({"token": target, "at": time.time(), "status": 429})
            return self._fcm_error("QUOTA_EXCEEDED", wait)
        behaviour = state.behaviour_for(target)
        error = behaviour.error if behaviour else None
        with state.lock:
            status = ERRORS.get(error, ERRORS["INTERNAL"])[0] if error else 200
            state.attempts.append({"token": target, "at": time.time(), "status": status})
        if behaviour and behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour and behaviour.error:
            return self._fcm_error(behaviour.error, behaviour.retry_after)
        name = f"projects/fake/messages/{uuid.uuid4().hex}"
        record = {"name": name, "message": message, "bytes": size, "at": time.time()}
        with state.lock:
            state.messages.append(record)
            if state.log_path:
                with open(state.log_path, "a", encoding="utf-8") as log_file:
                    log_file.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self.server.echo:
            notification = message.get("notification", {})
            target = (message.get("fid") or message.get("token") or "")[:12] or f"topic {topic}"
            title, text = notification.get("title"), notification.get("body")
            print(f"[fake FCM] to {target}: {title} — {text}", flush=True)
        return self._send(200, {"name": name})


class FakeFCMServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the SDK opens up to 500 connections at once

    def __init__(
        self,
        port: int = 0,
        *,
        log_path: str | None = None,
        echo: bool = False,
        messages_per_minute: int = MESSAGES_PER_MINUTE,
        subscriptions_per_second: int = SUBSCRIPTIONS_PER_SECOND,
        minute: float = 60.0,
    ) -> None:
        """``minute``: the length of the messages quota's window, shortened in tests."""
        super().__init__(("127.0.0.1", port), Handler)
        self.state = FakeState(
            log_path=log_path,
            messages_quota=Quota(messages_per_minute, minute),
            subscriptions_quota=Quota(subscriptions_per_second, 1.0),
        )
        self.echo = echo

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up on a slow answer is no error here: one line at debug."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.debug("fake FCM: %s left before its answer (%r)", client_address, error)
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="fake-fcm", daemon=True)
        thread.start()
        return thread


def main() -> None:
    parser = argparse.ArgumentParser(description="Local fake FCM server (dev and tests)")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log", help="append every received message to this JSON-lines file")
    parser.add_argument(
        "--messages-per-minute",
        type=int,
        default=MESSAGES_PER_MINUTE,
        help="FCM's project quota on sends (429 beyond it)",
    )
    parser.add_argument(
        "--subscriptions-per-second",
        type=int,
        default=SUBSCRIPTIONS_PER_SECOND,
        help="FCM's project quota on topic-management requests (429 beyond it)",
    )
    args = parser.parse_args()
    server = FakeFCMServer(
        args.port,
        log_path=args.log,
        echo=True,
        messages_per_minute=args.messages_per_minute,
        subscriptions_per_second=args.subscriptions_per_second,
    )
    print(f"fake FCM listening on {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
