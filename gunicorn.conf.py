"""gunicorn settings for My Border (`gunicorn -c gunicorn.conf.py wsgi:app`).

The workload: many small, mostly cached GETs from phones (often through a CDN or the
nginx front in deploy/nginx.conf), a few writes, no long-lived connections.
"""

import multiprocessing
import os

# Loopback (or a unix socket) only: gunicorn's sync workers must never face clients
# directly, since each reads its request itself and a few clients sending one byte every
# few seconds hold them all (review §4f). The nginx front in deploy/nginx.conf reads whole
# requests first; README.md, "Production". `when_ready` below warns about any other bind.
bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Sync workers: a cached read is a few hundred microseconds of CPU and the database calls
# are short, so one request per process at a time is simplest and fastest; concurrency
# comes from processes. 2 × cores + 1 keeps a core busy while a worker waits on the
# database. WEB_CONCURRENCY overrides it (containers often misreport the CPU count).
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))

# Load the app once in the master and fork: workers share the imported code and Babel's
# locale data (copy-on-write), and a broken app fails at start, not in every worker.
preload_app = True

# A request that takes 30 s is stuck (a database that stopped answering): kill and
# replace the worker. The push worker, not the web workers, talks to FCM.
timeout = 30
graceful_timeout = 20

# Behind nginx or a load balancer, keep idle upstream connections open a little longer
# than the proxy's own keep-alive, so the proxy never reuses one gunicorn just closed.
keepalive = 75

# Recycle workers now and then so that slow leaks (or a fragmented heap) cannot grow for
# ever; the jitter stops all workers from restarting at the same moment. Not too often:
# a new worker starts with an empty response cache (at 1,000 requests a second per
# worker this is every few minutes).
max_requests = 200_000
max_requests_jitter = 20_000

# No access log: the app writes the one line per request (api/observability.py, REQUEST_LOG),
# with the request id and route, also for the answers its cache serves before Flask runs,
# and without the client's IP address and User-Agent.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# Trust X-Forwarded-* only from the local proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Say loudly when gunicorn listens where clients could reach it without nginx."""
    loopback = ("127.", "localhost:", "[::1]:", "unix:")
    for address in server.cfg.bind:
        if not address.startswith(loopback):
            server.log.warning(
                "gunicorn listens on %s: its sync workers must not face clients directly "
                "(slow clients hold them); put the nginx front of deploy/nginx.conf in front "
                "and bind gunicorn to 127.0.0.1 (README.md, Production)",
                address,
            )


def post_fork(server, worker):  # gunicorn's hook signature
    """Connections must not be shared across fork: each worker opens its own pool."""
    from wsgi import app

    app.extensions["db"].engine.dispose(close=False)
