"""4 processes extracting one tenant's books at once, against the sandbox's real 25-per-5-s limit.

Shows that the request budget shared through the staging database keeps every process under
Fortnox's limit (no 429) while using most of it. Figures: out/bench/rate_limit.json.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import BENCH_DIR, CLIENT, TENANT, bench_company, connect_client, write_figures  # noqa: E402

from fortnox_etl.extract.sync import extract_financial_year  # noqa: E402
from fortnox_etl.fortnox.client_context import ClientContext  # noqa: E402
from fortnox_etl.fortnox.oauth import FortnoxApp  # noqa: E402
from fortnox_etl.sandbox.running import RunningSandbox  # noqa: E402
from fortnox_etl.staging.database import create_staging_engine  # noqa: E402

PROCESSES = 4
SECONDS = float(os.environ.get("BENCH_SECONDS", 60))
FORTNOX_LIMIT_PER_5S = 25


def extract_until(start, staging_file: str, app: FortnoxApp, key: str, year: dict, done) -> None:
    ctx = ClientContext(CLIENT, create_staging_engine(staging_file), app, key, BENCH_DIR)
    start.wait()  # all processes imported and ready: the clock starts for everyone at once
    deadline = time.time() + SECONDS
    extractions = 0
    while time.time() < deadline:
        extract_financial_year(ctx, year)
        extractions += 1
    done.put(extractions)


def main() -> None:
    company = bench_company()
    year = {"id": company.financial_years[-1]["Id"], "from_date": company.financial_years[-1]["FromDate"],
            "to_date": company.financial_years[-1]["ToDate"]}
    staging_file = BENCH_DIR / "rate_limit" / "staging.db"
    spawn = multiprocessing.get_context("spawn")
    with RunningSandbox([company]) as sandbox:
        app, key = connect_client(sandbox.base_url, staging_file)
        before = sum(sandbox.requests(TENANT).values())
        done, start = spawn.Queue(), spawn.Barrier(PROCESSES + 1)
        workers = [spawn.Process(target=extract_until, args=(start, str(staging_file), app, key, year, done))
                   for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        start.wait()
        started = time.time()
        extractions = sum(done.get(timeout=SECONDS + 120) for _ in workers)
        for worker in workers:
            worker.join()
        elapsed = time.time() - started
        requests = sum(sandbox.requests(TENANT).values()) - before
        http_429 = sandbox.outcomes(TENANT).get("rate_limited", 0)
    allowed = FORTNOX_LIMIT_PER_5S * elapsed / 5
    figures = {"processes": PROCESSES, "seconds": round(elapsed, 1), "requests": requests, "http_429": http_429,
               "budget_used": round(requests / allowed, 3), "extractions": extractions}
    path = write_figures("rate_limit", figures)
    print(f"rate limit: {PROCESSES} processes extracting one tenant for {elapsed:.1f} s")
    print(f"  {'requests made':<28}{requests:>8}")
    print(f"  {'requests Fortnox allows':<28}{allowed:>8.0f}")
    print(f"  {'budget used':<28}{requests / allowed:>8.1%}")
    print(f"  {'429 answers':<28}{http_429:>8}")
    print(f"  {'year extractions':<28}{extractions:>8}")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
