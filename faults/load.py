"""Traffic for the HTTP scenarios: travellers' cached reads and agencies' queue posts, from
a few threads, every answer recorded with the moment it came back."""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
import time
import uuid
from collections import Counter
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


class SlowClients:
    """Sockets that each send one byte every `interval` seconds, as slowloris does: most
    send a request header that never ends, the rest a POST /v1/customs/check body that
    never ends. A socket the server drops is opened again (the attacker's only cost)."""

    HEADER = b"GET /v1/checkpoints HTTP/1.1\r\nHost: myborder\r\nUser-Agent: slow\r\n"
    BODY_HEAD = (
        b"POST /v1/customs/check HTTP/1.1\r\nHost: myborder\r\n"
        b"Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n{"
    )

    def __init__(self, base: str, *, sockets: int, bodies: int, interval: float) -> None:
        url = urlparse(base)
        self.address = (url.hostname or "127.0.0.1", url.port or 80)
        self.kinds = ["body" if n < bodies else "header" for n in range(sockets)]
        self.interval = interval
        self.opened: Counter[str] = Counter()  # connections made, by kind
        self.dropped: Counter[str] = Counter()  # of them, closed or reset by the server
        self.bytes_sent = 0
        self._sockets: list[socket.socket | None] = [None] * sockets
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 10)
        for sock in self._sockets:
            if sock is not None:
                sock.close()

    def open_now(self) -> int:
        """How many of the sockets are connected at this moment."""
        return sum(1 for sock in self._sockets if sock is not None)

    def _open(self, n: int) -> None:
        kind = self.kinds[n]
        try:
            sock = socket.create_connection(self.address, timeout=2)
            sock.sendall(self.HEADER if kind == "header" else self.BODY_HEAD)
        except OSError:
            return  # tried again at the next tick
        self.opened[kind] += 1
        self._sockets[n] = sock

    def _tick(self, n: int) -> None:
        sock = self._sockets[n]
        if sock is None:
            self._open(n)
            return
        try:
            # a server that gave up answers 408/400 or closes: the byte then fails, or
            # the socket reads as closed
            sock.setblocking(False)
            try:
                closed = sock.recv(4096) == b""
                answered = not closed
            except BlockingIOError:
                closed = answered = False
            sock.setblocking(True)
            if closed or answered:
                raise ConnectionResetError()
            sock.sendall(b"a" if self.kinds[n] == "header" else b" ")
            self.bytes_sent += 1
        except OSError:
            sock.close()
            self._sockets[n] = None
            self.dropped[self.kinds[n]] += 1
            self._open(n)

    def _run(self) -> None:
        while not self._stop.is_set():
            for n in range(len(self._sockets)):
                self._tick(n)
            self._stop.wait(self.interval)


@dataclass
class Poll:
    """One path polled every `every` seconds with a `timeout`, as a health check does."""

    base: str
    path: str
    every: float = 0.25
    timeout: float = 3.0
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        url = urlparse(self.base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Poll:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                connection.request("GET", self.path, headers={"Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
                answer = Answer("read", self.path, started, time.monotonic(), response.status)
            except (OSError, http.client.HTTPException) as error:
                answer = Answer(
                    "read", self.path, started, time.monotonic(), None, error=type(error).__name__
                )
            finally:
                connection.close()
            self.answers.append(answer)
            self._stop.wait(self.every)
