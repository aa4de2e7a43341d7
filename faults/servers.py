"""The processes a scenario runs: a PostgreSQL server of its own, gunicorn, the fake FCM
server and the push worker, each on a free loopback port and stopped on the way out."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.05) -> float:
    """Poll `check()` until it is true; returns the seconds it took."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except (OSError, psycopg.Error):
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def http_json(url: str, body: Any = None, timeout: float = 5) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries (PG_BIN overrides)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    if found:
        return found[0]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise RuntimeError("no PostgreSQL binaries: install postgresql or set PG_BIN")


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, on a free loopback port."""

    def __init__(self, tmp: Path, name: str = "pg") -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = tmp / name
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        # initdb refuses to run as root: as root, the cluster belongs to `postgres`
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def init(self) -> None:
        self.dir.mkdir()
        if self.as_user:
            os.chmod(self.dir.parent, 0o755)  # noqa: S103  # postgres must reach its directory
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self.options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"

    def init_replica_of(self, primary: Postgres) -> None:
        """A streaming replica of `primary`: its base backup, with the settings that make
        it follow (pg_basebackup -R)."""
        self.dir.mkdir()
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.bin / "pg_basebackup"), "-D", str(self.data), "-h", "127.0.0.1",
            "-p", str(primary.port), "-U", "postgres", "-X", "stream", "-R", "--no-sync",
            "--checkpoint=fast",
        )  # fmt: skip
        self.options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", self.options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str, template: str = "template1") -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def describe(self) -> str:
        version = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        return f"{version}, own cluster in a temp dir, 127.0.0.1:{self.port}"


@contextmanager
def replica(primary: Postgres) -> Iterator[Postgres]:
    """A streaming replica of `primary`, next to it, started and stopped on the way out."""
    server = Postgres(primary.dir.parent, name=f"replica-{free_port()}")
    server.init_replica_of(primary)
    server.start()
    try:
        yield server
    finally:
        if server.running():
            server.stop()


def replayed(primary: Postgres, replica: Postgres) -> bool:
    """Whether the replica has replayed everything the primary has written so far."""
    with psycopg.connect(primary.url, autocommit=True) as conn:
        written = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
    with psycopg.connect(replica.url, autocommit=True) as conn:
        behind = conn.execute(
            "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())", written
        ).fetchone()
    return behind is not None and behind[0] <= 0


@contextmanager
def postgres() -> Iterator[Postgres]:
    with tempfile.TemporaryDirectory(prefix="myborder-fault-") as tmp_name:
        server = Postgres(Path(tmp_name))
        server.init()
        server.start()
        try:
            yield server
        finally:
            if server.running():
                server.stop()


def flask(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def app_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The service's settings for a scenario: its database, files under `tmp`."""
    return {
        "DATABASE_URL": database_url,
        "IMAGE_DIR": str(tmp / "images"),
        "LOG_LEVEL": "warning",
        "REQUEST_LOG": "off",
        # every request comes from 127.0.0.1: the read limit would throttle the load
        "READ_RATE_LIMIT": "1000000000 per minute",
        **extra,
    }


def seeded(database_url: str, tmp: Path) -> dict[str, str]:
    """Migrate and load the demo data; returns the demo agency keys, {country: key}."""
    env = app_env(database_url, tmp)
    flask(["db", "upgrade"], env)
    credentials = tmp / "credentials.txt"
    flask(["seed", "--demo", "--credentials-file", str(credentials)], env)
    keys = {}
    for line in credentials.read_text().splitlines():
        country, marker, key = line.partition(" agency key: ")
        if marker:
            keys[country] = key.strip()
    return keys


class Gunicorn:
    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process = process
        self.base = base
        self.log = log

    def workers(self) -> list[int]:
        children = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return [int(pid) for pid in children]


@contextmanager
def gunicorn(
    env: dict[str, str],
    log: Path,
    workers: int = 3,
    app: str = "wsgi:app",
    probe: str = "/healthz",
    access_log: Path | None = None,
) -> Iterator[Gunicorn]:
    """`app` under gunicorn.conf.py on a free loopback port, once `probe` answers and every
    worker is up; its log goes to `log`, the app's own line per request (on stdout) to
    `access_log`, or nowhere."""
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "WEB_CONCURRENCY": str(workers),
        "BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "info",  # the master logs worker deaths and boots
    }
    with log.open("ab") as log_file, (access_log or Path(os.devnull)).open("ab") as requests:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app],
            cwd=ROOT,
            env=full_env,
            stdout=requests,
            stderr=log_file,
        )
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until(
            lambda: (
                urllib.request.urlopen(server.base + probe, timeout=2).status == 200
                and len(server.workers()) == workers
            ),
            60,
            "gunicorn start",
        )
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class FakeFCM:
    """The fake FCM server in a process of its own, driven through its control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def behave(self, behaviours: dict[str, dict[str, Any]]) -> None:
        http_json(self.url + "/_fake/behaviours", behaviours)

    def messages(self) -> list[dict[str, Any]]:
        return list(http_json(self.url + "/_fake/messages", timeout=30)["messages"])

    def attempts(self) -> list[dict[str, Any]]:
        return list(http_json(self.url + "/_fake/attempts", timeout=30)["attempts"])

    def requests(self) -> int:
        return int(http_json(self.url + "/_fake/health")["requests"])

    def stats(self) -> dict[str, Any]:
        """Accepted, refused (429) and peak counts against FCM's two quotas."""
        return dict(http_json(self.url + "/_fake/stats"))


@contextmanager
def fake_fcm(
    log: Path,
    *,
    messages_per_minute: int | None = None,
    subscriptions_per_second: int | None = None,
) -> Iterator[FakeFCM]:
    port = free_port()
    quotas: list[str] = []
    if messages_per_minute is not None:
        quotas += ["--messages-per-minute", str(messages_per_minute)]
    if subscriptions_per_second is not None:
        quotas += ["--subscriptions-per-second", str(subscriptions_per_second)]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [str(BIN / "python"), "-m", "push.fake_fcm", "--port", str(port), *quotas],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    fake = FakeFCM(f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: fake.requests() >= 0, 30, "fake FCM start")
        yield fake
    finally:
        stop(process)


def push_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`flask push worker` as it runs in production, logging to `log`."""
    with log.open("ab") as log_file:
        return subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "push", "worker"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def nginx(
    upstream: str | list[str],
    runtime: Path,
    log: Path,
    *,
    reads_per_second: int | None = None,
) -> Iterator[str]:
    """deploy/nginx.conf in front of `upstream` (host:port, or several: the upstream's
    servers) on a free loopback port, its files under `runtime`; yields its base URL. Its
    error log is copied to `log`. `reads_per_second` replaces the recipe's per-address
    read rate: a load generator is one loopback address standing for many phones."""
    port = free_port()
    runtime.mkdir(parents=True)
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    if reads_per_second is not None:
        assert "rate=50r/s" in config, "the recipe's read rate moved"  # noqa: S101
        config = config.replace("rate=50r/s", f"rate={reads_per_second}r/s")
    upstreams = [upstream] if isinstance(upstream, str) else upstream
    server_line = next(line for line in config.splitlines() if "server @UPSTREAM@;" in line)
    config = config.replace(
        server_line, "\n".join(server_line.replace("@UPSTREAM@", u) for u in upstreams)
    )
    for marker, value in (
        ("@RUNTIME@", str(runtime)),
        ("@LISTEN@", f"127.0.0.1:{port}"),
        ("@STATIC@", str(runtime / "no-static")),
    ):
        config = config.replace(marker, value)
    if os.geteuid() == 0:
        # as root, nginx's workers would run as nobody, who cannot enter our temp dir
        config = "user root;\n" + config
    conf_file = runtime / "nginx.conf"
    conf_file.write_text(config)
    process = subprocess.Popen(
        ["nginx", "-c", str(conf_file), "-e", str(runtime / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: urllib.request.urlopen(base + "/healthz", timeout=2).status == 200,
            30,
            "nginx start",
        )
        yield base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if (runtime / "error.log").exists():
            shutil.copy(runtime / "error.log", log)


@contextmanager
def pgbouncer(database: str, server: Postgres, log: Path) -> Iterator[str]:
    """Debian's PgBouncer in transaction mode in front of `database` on `server`, on a free
    loopback port, its files next to the server's; yields the database's URL through it.
    As root it runs as `postgres` (it refuses root). Its log is copied to `log`."""
    port = free_port()
    runtime = server.dir.parent / f"pgbouncer-{port}"
    runtime.mkdir()
    (runtime / "userlist.txt").write_text('"postgres" ""\n')
    (runtime / "pgbouncer.ini").write_text(
        f"""[databases]
{database} = host=127.0.0.1 port={server.port} dbname={database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir = {runtime}
auth_type = trust
auth_file = {runtime}/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = {runtime}/pgbouncer.log
"""
    )
    if server.as_user:
        for path in (runtime, *runtime.iterdir()):
            shutil.chown(path, "postgres", "postgres")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    process = subprocess.Popen(
        [*server.as_user, binary, str(runtime / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/{database}"
    try:
        wait_until(lambda: _connects(url), 30, "pgbouncer start")
        yield url
    finally:
        stop(process)
        if (runtime / "pgbouncer.log").exists():
            shutil.copy(runtime / "pgbouncer.log", log)


@contextmanager
def redis(log: Path) -> Iterator[str]:
    """A Redis server of its own on a free loopback port, nothing saved; yields its URL."""
    port = free_port()
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until(lambda: _listens(port), 30, "redis start")
        yield url
    finally:
        stop(process)


def _connects(url: str) -> bool:
    with psycopg.connect(url, prepare_threshold=None, connect_timeout=2) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def _listens(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
