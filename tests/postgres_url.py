"""Print the PostgreSQL server URL the suite should also run against, or exit 1.

TEST_DATABASE_URL wins; otherwise a local server on 127.0.0.1:5432 (user postgres,
trust auth) is used when it answers.
"""

from __future__ import annotations

import os
import sys

import psycopg

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def main() -> int:
    url = os.environ.get("TEST_DATABASE_URL") or LOCAL_SERVER
    try:
        with psycopg.connect(url, connect_timeout=3):
            pass
    except psycopg.Error:
        return 1
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
