"""The baseline for read benchmarks: a minimal Flask app answering constant bytes.

BASELINE_DIR holds `<name>.json` files; `/baseline/<name>` answers the bytes of one as
application/json, and answers 304 when If-None-Match carries the constant ETag "b" — the
same work a cache-perfect endpoint would do, with nothing of ours in the way.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
BODIES = {path.stem: path.read_bytes() for path in Path(os.environ["BASELINE_DIR"]).glob("*.json")}


@app.get("/baseline/<name>")
def baseline(name: str) -> Response:
    if request.headers.get("If-None-Match") == '"b"':
        return Response(status=304, headers={"ETag": '"b"'})
    return Response(BODIES[name], mimetype="application/json", headers={"ETag": '"b"'})
