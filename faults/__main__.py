"""Run the fault scenarios: `python -m faults [--only NAME ...] [--limit SECONDS]`.

Prints, for each scenario, what was sent, what succeeded, what was lost and the time to
recover; writes the same to faults/results/faults.json and faults.md. Exits 1 when a
scenario lost anything, failed a check or ran out of time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from faults.scenarios import SCENARIOS, Context, Result
from faults.servers import postgres

RESULTS = Path(__file__).resolve().parent / "results"


class OutOfTime(Exception):
    pass


def _out_of_time(_signum: int, _frame: FrameType | None) -> None:
    raise OutOfTime()


def run(name: str, ctx: Context, limit: int) -> Result:
    """One scenario under a hard time limit; its context managers stop what it started."""
    started = time.monotonic()
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(limit)
    try:
        result = SCENARIOS[name](ctx)
    except OutOfTime:
        result = Result(name, "-", error=f"out of time after {limit} s")
    except Exception as error:  # reported, and the next scenario still runs
        traceback.print_exc()
        result = Result(name, "-", error=f"{type(error).__name__}: {error}")
    finally:
        signal.alarm(0)
    if not ctx.postgres.running():  # a scenario that stopped midway left the server down
        ctx.postgres.start()
    result.figures["scenario_seconds"] = round(time.monotonic() - started, 1)
    return result


def markdown(results: list[Result], database: str, total: float) -> str:
    lines = [
        f"Fault scenarios, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {total:.0f} s in all.",
        f"PostgreSQL: {database}.",
        "",
        "| scenario | unit | sent | succeeded | lost | recovered in | checks |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        recover = "—" if r.recover_seconds is None else f"{r.recover_seconds:.2f} s"
        checks = "pass" if r.passed else "FAIL"
        lines.append(
            f"| {r.name} | {r.unit} | {r.sent:,} | {r.succeeded:,} | {r.lost} | {recover} "
            f"| {checks} |"
        )
    for r in results:
        lines += ["", f"**{r.name}**", ""]
        if r.error:
            lines.append(f"- ERROR: {r.error}")
        lines += [f"- [{'x' if ok else ' '}] {what}" for what, ok in r.checks]
        lines += [f"- {key}: {json.dumps(value)}" for key, value in r.figures.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), default=None)
    parser.add_argument("--limit", type=int, default=90, help="seconds per scenario")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    names = args.only or list(SCENARIOS)
    started = time.monotonic()
    results = []
    logs = args.out / "logs"  # the servers' own logs, kept for a look after a failure
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    with postgres() as server, tempfile.TemporaryDirectory(prefix="myborder-fault-") as tmp:
        database = server.describe()
        print(f"== fault scenarios on PostgreSQL: {database}", flush=True)
        ctx = Context(server, Path(tmp), logs)
        for name in names:
            print(f"== {name}", flush=True)
            result = run(name, ctx, args.limit)
            results.append(result)
            print(
                f"   {result.unit}: sent {result.sent}, succeeded {result.succeeded}, "
                f"lost {result.lost}, recovered in {result.recover_seconds} s, "
                f"{'pass' if result.passed else 'FAIL'}",
                flush=True,
            )
    total = time.monotonic() - started
    report = {
        "when": datetime.now(UTC).isoformat(),
        "postgres": database,
        "total_seconds": round(total, 1),
        "results": [asdict(r) | {"passed": r.passed} for r in results],
    }
    (args.out / "faults.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(results, database, total)
    (args.out / "faults.md").write_text(table)
    print()
    print(table)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
