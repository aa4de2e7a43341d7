"""How long `flask forecast refresh` takes with a year of hourly history, and how accurate
the ladder is on demo data.

Builds a throwaway SQLite database with the reference checkpoints and one year of hourly
demo queue reports for every road checkpoint x direction x lane, from the seed's demo
generator (content/seed/demo_queues.py, the one `make run` loads 16 weeks of): weekday
and hour patterns by lane and direction, public-holiday peaks on both sides of the border
(the `holidays` package), spikes, a level that persists for hours, gaps where nobody
reported, noise, and, on some lanes, `lanes_open` and `vehicles_waiting` that move the
wait. Then times, in one run and alternating:

- the baseline: reading every lane's series (what any refresh must do first);
- the refresh: reading, backtesting the ladder, fitting the pooled model, storing.

The refresh is printed against the issue's target (under 60 s on 2 cores) and as a ratio
to the baseline measured in the same run. Then the backtest's MAE per horizon, averaged
over all lanes, per method and for the method served, labelled as demo data. Results go
to bench/results/forecast.json and forecast.md.

    python bench/forecast.py [--runs 3] [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from alembic import command
from sqlalchemy import insert
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from api.cli import alembic_config  # noqa: E402  # after the path is set
from api.db import make_engine  # noqa: E402  # after the path is set
from content.checkpoints import forecast, series  # noqa: E402  # after the path is set
from content.checkpoints.models import QueueReport  # noqa: E402  # after the path is set
from content.seed import demo_queues, loader  # noqa: E402  # after the path is set

HOUR = timedelta(hours=1)
YEAR_HOURS = 365 * 24
TARGET_SECONDS = 60.0


def build(url: str, end: datetime, seed: int) -> int:
    """The reference checkpoints and a year of hourly demo reports; returns the rows."""
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    rng = np.random.default_rng(seed)
    start = end - YEAR_HOURS * HOUR
    rows = 0
    with Session(engine) as session:
        loader.load_checkpoints(session)
        session.commit()
        for checkpoint, direction, lane in forecast.road_lanes(session):
            slots, local_dates = series.local_calendar(start, YEAR_HOURS, checkpoint.timezone)
            sides = tuple(c for c in (checkpoint.country, checkpoint.neighbor) if c)
            queue = demo_queues.demo_queue(
                rng,
                base=demo_queues.BASE_WAIT[lane] * rng.uniform(0.5, 1.6),
                slots=slots,
                holiday=series.holiday_mask(local_dates, sides),
                lane=lane,
                direction=direction,
            )
            waits = np.where(queue.reported, queue.waits, np.nan)
            lanes_open, vehicles = queue.lanes_open, queue.vehicles_waiting
            minutes = rng.integers(0, 60, YEAR_HOURS)
            batch = [
                {
                    "checkpoint_id": checkpoint.id,
                    "direction": direction,
                    "lane": lane,
                    "wait_minutes": int(waits[index]),
                    "lanes_open": None if np.isnan(lanes_open[index]) else int(lanes_open[index]),
                    "vehicles_waiting": None if np.isnan(vehicles[index]) else int(vehicles[index]),
                    "observed_at": start
                    + int(index) * HOUR
                    + timedelta(minutes=int(minutes[index])),
                    "posted_at": start + (int(index) + 1) * HOUR,
                    "demo": True,
                }
                for index in np.flatnonzero(~np.isnan(waits))
            ]
            session.execute(insert(QueueReport), batch)
            rows += len(batch)
        session.commit()
    engine.dispose()
    return rows


def time_load(url: str, end: datetime) -> float:
    engine = make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        start = end - forecast.LOAD_HOURS * HOUR
        for checkpoint, direction, lane in forecast.road_lanes(session):
            forecast.load_lane(
                session, checkpoint, direction=direction, lane=lane, start=start, end=end
            )
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def time_refresh(url: str, end: datetime) -> tuple[float, forecast.RefreshResult]:
    engine = make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        result = forecast.refresh(session, now=end)
        session.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, result


def mae_table(result: forecast.RefreshResult) -> dict[str, dict[str, object]]:
    """Per horizon: each method's MAE and the served one's, averaged over lanes."""
    table: dict[str, dict[str, object]] = {}
    for horizon in forecast.HORIZONS:
        scores = [f.scores[horizon] for f in result.forecasts]
        row: dict[str, object] = {}
        for method in forecast.LADDER:
            values = [mae for s in scores if (mae := s.mae[method]) is not None]
            row[method.value] = round(statistics.fmean(values), 2) if values else None
        served = [s.mae[s.method] if s.earned else s.mae[forecast.Method.SEASONAL] for s in scores]
        served_values = [v for v in served if v is not None]
        row["served"] = round(statistics.fmean(served_values), 2) if served_values else None
        row["lanes"] = len(scores)
        row["earned"] = sum(s.earned for s in scores)
        row["best"] = dict(Counter(s.method.value for s in scores))
        row["evaluated_hours"] = sum(s.evaluated_hours for s in scores)
        table[f"{horizon}h"] = row
    return table


def write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "forecast.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| figure | measured | baseline | ratio | target |", "|---|---|---|---|---|"]
    for r in results["rows"]:
        lines.append(
            f"| {r['figure']} | {r['measured']} {r['unit']} | {r['baseline']} "
            f"| {r['ratio']} | {r['target']} |"
        )
    lines += [
        "",
        f"Baseline: {results['baseline_is']}. {results['lanes']} lanes, "
        f"{results['rows_generated']:,} hourly demo reports over one year; "
        f"{results['shown']} lanes shown. CPU cores: {results['cpus']}.",
        "",
        "Backtest MAE in minutes, **demo data** (the seed's generator, "
        "content/seed/demo_queues.py, not real queues), mean over lanes; `served` is the "
        "method served where a horizon earns it, else the typical week:",
        "",
        "| horizon | persistence | seasonal | blend | model | served | horizons earned | "
        "lowest MAE (lanes) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for horizon, row in results["mae_demo"].items():
        best = ", ".join(f"{k} {v}" for k, v in sorted(row["best"].items()))
        lines.append(
            f"| {horizon} | {row['persistence']} | {row['seasonal']} | {row['blend']} "
            f"| {row['model']} | {row['served']} | {row['earned']}/{row['lanes']} | {best} |"
        )
    (RESULTS / "forecast.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as directory:
        url = f"sqlite:///{directory}/bench.db"
        started = time.perf_counter()
        rows = build(url, end, args.seed)
        print(f"built {rows:,} hourly demo reports in {time.perf_counter() - started:.0f} s")
        loads, refreshes = [], []
        result = None
        for run in range(args.runs):
            loads.append(time_load(url, end))
            seconds, result = time_refresh(url, end)
            refreshes.append(seconds)
            print(f"run {run + 1}: load {loads[-1]:.1f} s, refresh {seconds:.1f} s")
    assert result is not None
    load, refresh = statistics.median(loads), statistics.median(refreshes)
    results = {
        "rows": [
            {
                "figure": f"refresh of {result.refreshed} lanes, 1 year of hourly history",
                "measured": round(refresh, 1),
                "baseline": round(load, 1),
                "ratio": round(refresh / load, 2),
                "target": f"< {TARGET_SECONDS:.0f} s on 2 cores",
                "unit": "s",
            }
        ],
        "baseline_is": "reading every lane's series for a refresh (same run, median)",
        "runs": {"load_seconds": loads, "refresh_seconds": refreshes},
        "lanes": result.refreshed,
        "shown": result.shown,
        "rows_generated": rows,
        "cpus": os.cpu_count(),
        "mae_demo": mae_table(result),
        "measured_at": end.isoformat(),
    }
    write(results)
    return 0 if refresh < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
