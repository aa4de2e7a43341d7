"""The baseline for read benchmarks: a minimal Flask app answering constant bytes.

BASELINE_BODY_FILE names a file whose bytes it returns as application/json, so that the
baseline serves exactly the same payload as the endpoint under test.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

app = Flask(__name__)
BODY = Path(os.environ["BASELINE_BODY_FILE"]).read_bytes()


@app.get("/baseline")
def baseline() -> Response:
    return Response(BODY, mimetype="application/json")
