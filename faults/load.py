"""Traffic for the HTTP scenarios: travellers' cached reads and agencies' queue posts, from
a few threads, every answer recorded with the moment it came back."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

READS = [
    "/v1/checkpoints?lang=kk",
    "/v1/checkpoints?lang=ru",
    "/v1/checkpoints/kz-kordai?lang=en",
    "/v1/locales",
    "/v1/customs/rules?lang=uz",
]


@dataclass
class Answer:
    kind: str  # "read" or "post"
    path: str
    started: float  # time.monotonic()
    ended: float
    status: int | None  # None: no HTTP answer (connection refused, reset, timeout)
    error: str | None = None
    retry_after: str | None = None
    report_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Poster:
    """An agency key and the checkpoints it may post for."""

    key: str
    checkpoints: Sequence[str]


class Load:
    """Reader and poster threads sending until stopped; `answers` holds every outcome."""

    def __init__(
        self,
        base: str,
        posters: Sequence[Poster],
        *,
        readers: int = 3,
        post_interval: float = 0.05,
        read_interval: float = 0.0,
        timeout: float = 10,
    ) -> None:
        url = urlparse(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.posters = posters
        self.readers = readers
        self.post_interval = post_interval
        self.read_interval = read_interval
        self.timeout = timeout
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Load:
        for n in range(self.readers):
            self._threads.append(threading.Thread(target=self._read, args=(n,), daemon=True))
        for poster in self.posters:
            self._threads.append(threading.Thread(target=self._post, args=(poster,), daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def _request(
        self, kind: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Answer:
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            answer = Answer(
                kind, path, started, time.monotonic(), response.status,
                retry_after=response.getheader("Retry-After"),
            )  # fmt: skip
            if kind == "post" and 200 <= response.status < 300:
                answer.report_ids = [item["id"] for item in json.loads(data)["items"]]
        except (OSError, http.client.HTTPException) as error:
            answer = Answer(kind, path, started, time.monotonic(), None, error=type(error).__name__)
        finally:
            connection.close()
        with self._lock:
            self.answers.append(answer)
        return answer

    def _read(self, n: int) -> None:
        for path in itertools.islice(itertools.cycle(READS), n, None):
            if self._stop.is_set():
                return
            self._request("read", "GET", path, None, {"Accept-Encoding": "gzip"})
            if self.read_interval:
                self._stop.wait(self.read_interval)

    def _post(self, poster: Poster) -> None:
        for checkpoint in itertools.cycle(poster.checkpoints):
            if self._stop.is_set():
                return
            observed = datetime.now(UTC).isoformat(timespec="seconds")
            body = {
                "reports": [
                    {
                        "direction": "exit",
                        "lane": "car",
                        "wait_minutes": int(time.time()) % 240,
                        "observed_at": observed,
                    }
                ]
            }
            self._request(
                "post",
                "POST",
                f"/v1/checkpoints/{checkpoint}/queues",
                json.dumps(body).encode(),
                {
                    "Authorization": f"Bearer {poster.key}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
            self._stop.wait(self.post_interval)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)
