"""Writing the period report of an M company's period (≈5,000 vouchers a year; target: under 1 s per
client-period), as the sync's task writes it last: in a fresh process, so the first report pays for
importing matplotlib as every task does.

The period is synced first (extract, SIE tables and file, ledgers, checks) into a SQLite staging database, then
the report is written in a new interpreter: once cold (matplotlib imported, the figures read, the charts
drawn), then five times warm, whose median shows what the report itself costs.
Figures: out/bench/period_report.json (vouchers, seconds cold, warm median, the report's size).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import BENCH_DIR, CLIENT, bench_company, connect_client, write_figures  # noqa: E402

from sqlalchemy import text  # noqa: E402

from fortnox_etl.demo import last_closed_year_end  # noqa: E402
from fortnox_etl.fortnox.client_context import ClientContext  # noqa: E402
from fortnox_etl.period import Period  # noqa: E402
from fortnox_etl.period_end import checks, client_steps  # noqa: E402
from fortnox_etl.sandbox.running import RunningSandbox  # noqa: E402
from fortnox_etl.staging.database import create_staging_engine  # noqa: E402

WARM_RUNS = 5
# Timed in a fresh interpreter, as a task runs: the package imported, matplotlib not yet.
WRITE = """
import datetime as dt, json, statistics, sys, time
from pathlib import Path
from fortnox_etl.config import Client
from fortnox_etl.staging.database import create_staging_engine
from fortnox_etl.period_report.report import write_period_report

staging, out_dir, key, name, orgnr, period_end, warm_runs = sys.argv[1:]
engine = create_staging_engine(staging)
client = Client(key=key, name=name, organisation_number=orgnr)
times = []
for _ in range(1 + int(warm_runs)):
    started = time.perf_counter()
    path = write_period_report(engine, client, Path(out_dir), dt.date.fromisoformat(period_end))
    times.append(time.perf_counter() - started)
print(json.dumps({"cold": times[0], "warm": statistics.median(times[1:]), "path": str(path),
                  "bytes": path.stat().st_size}))
"""


def main() -> None:
    company = bench_company("M")
    period = last_closed_year_end(company)
    staging_file = BENCH_DIR / "period_report" / "staging.db"
    out_dir = BENCH_DIR / "period_report"
    with RunningSandbox([company]) as sandbox:
        app, key = connect_client(sandbox.base_url, staging_file)
        ctx = ClientContext(CLIENT, create_staging_engine(str(staging_file)), app, key, out_dir)
        synced = client_steps.extract_from_fortnox(ctx, {"params": {"period": period}, "data_interval_start": None})
        client_steps.build_sie_file(ctx, synced)
        client_steps.build_ledger_appendices(ctx, synced)
    # The period's checks, without its report: the report is timed on its own below.
    period_end = Period.parse(period).last_day
    years = synced["years"]
    checks.run_checks(ctx, years[-1]["id"], period_end)
    with ctx.engine.connect() as db:
        vouchers = db.execute(text("SELECT COUNT(*) FROM raw_vouchers WHERE client_key = :k AND financial_year_id = :y"),
                              {"k": CLIENT.key, "y": years[-1]["id"]}).scalar()
    timed = subprocess.run(
        [sys.executable, "-c", WRITE, str(staging_file), str(out_dir), CLIENT.key, CLIENT.name,
         CLIENT.organisation_number, period_end.isoformat(), str(WARM_RUNS)],
        check=True, capture_output=True, text=True)
    result = json.loads(timed.stdout.strip().splitlines()[-1])
    path = write_figures("period_report", {"vouchers": vouchers, "period_end": period_end.isoformat(),
                                           "seconds": round(result["cold"], 3), "warm_seconds": round(result["warm"], 3),
                                           "bytes": result["bytes"]})
    print(f"period report of one M company's period ending {period_end} ({vouchers:,} vouchers in the year, SQLite)")
    print(f"  {'first report in a fresh process':<36}{result['cold']:>7.2f} s  (matplotlib imported)")
    print(f"  {f'median of {WARM_RUNS} more':<36}{result['warm']:>7.2f} s")
    print(f"  {'report size':<36}{result['bytes'] / 1024:>7.0f} kB  {result['path']}")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
