"""A company-year from SIE bytes to staging, SIE4 tables and a written SIE4 file on PostgreSQL, for
S, M, L and XL (≈1,000,000 transactions), next to a plain PostgreSQL COPY of the same voucher rows.

Each size runs in a fresh child process on a fresh database (dropped afterwards), so that the
child's peak RSS (ru_maxrss) is that size's alone. In the child: the SIE file is streamed into the
raw tables, the SIE tables are built, the SIE4 file is written (together: `seconds`); then the
staged voucher rows are exported to a file (not timed) and COPYed into a plain table with the same
columns, three times (`copy_seconds`, the median: one COPY swings by a third from run to run).
Parsing alone is timed in a separate pass, so `load` is staging minus it.
`database_seconds` is the database's own share of the work, with no Python in it: the staged rows and
voucher heads COPYed from files into tables with the staging tables' keys, the transforms as measured,
and the writer's voucher query run to its end without sending its result (EXPLAIN ANALYZE). However
fast the client, the pipeline cannot beat it on this schema.
Target (issue 5): within 3x of the COPY, under 500 MB, memory flat as the year grows.
Figures: out/bench/throughput.json. PostgreSQL: FORTNOX_ETL_TEST_POSTGRES or 127.0.0.1:5432.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import CLIENT, bench_company, write_figures  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fortnox_etl.sandbox.sie_export import sie_file  # noqa: E402
from fortnox_etl.sie.reader import SieStream  # noqa: E402
from fortnox_etl.sie.staging import build_sie_client, build_sie_year, stage_sie_year  # noqa: E402
from fortnox_etl.sie.writer import write_sie4  # noqa: E402
from fortnox_etl.staging.database import create_schema, create_staging_engine, sql  # noqa: E402

SIZES = ("S", "M", "L", "XL")
POSTGRES_ADMIN_URL = os.environ.get("FORTNOX_ETL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TARGET_RATIO, TARGET_MB = 3.0, 500
_COPY_CHUNK = 1 << 20


def main(chosen: list[str]) -> None:
    """All sizes, or the ones named on the command line (then no figures are written)."""
    sizes = []
    with tempfile.TemporaryDirectory(prefix="fortnox-etl-throughput-") as workdir:
        for size in chosen or SIZES:
            spec = _run_child("--prepare", {"size": size, "workdir": workdir})
            sizes.append(_in_fresh_database(spec))
            print(f"  {size}: {sizes[-1]['transactions']:,} transactions measured", flush=True)
    xl = sizes[-1]
    figures = {key: xl[key] for key in ("transactions", "seconds", "copy_seconds", "ratio_to_copy", "peak_rss_mb",
                                        "database_seconds")}
    path = None if chosen else write_figures("throughput", {**figures, "sizes": sizes})
    print("SIE bytes → staging → SIE4 tables → SIE4 file on PostgreSQL, next to a plain COPY of the same rows")
    print(f"  {'size':<5}{'transactions':>13}{'seconds':>9}{'COPY s':>8}{'ratio':>7}{'peak MB':>9}"
          f"{'parse':>8}{'load':>7}{'transf.':>8}{'write':>7}{'db s':>7}{'db ratio':>9}")
    for row in sizes:
        parts = row["breakdown"]
        print(f"  {row['size']:<5}{row['transactions']:>13,}{row['seconds']:>9.2f}{row['copy_seconds']:>8.2f}"
              f"{row['ratio_to_copy']:>7.2f}{row['peak_rss_mb']:>9.0f}{parts['parse']:>8.2f}{parts['load']:>7.2f}"
              f"{parts['transforms']:>8.2f}{parts['write']:>7.2f}{row['database_seconds']:>7.2f}"
              f"{row['database_seconds'] / row['copy_seconds']:>9.2f}")
    print(f"  target: within {TARGET_RATIO:g}x of the COPY and under {TARGET_MB} MB for {xl['size']}: "
          f"{'met' if xl['ratio_to_copy'] <= TARGET_RATIO and xl['peak_rss_mb'] < TARGET_MB else 'NOT met'}")
    print(f"  figures: {path or 'not written (not every size ran)'}")


def _prepare(size: str, workdir: Path) -> dict:
    """The size's company-year as a SIE 4 file on disk, not measured.

    In a process of its own: a child forked from a process holding an XL company would start with
    its memory counted in ru_maxrss.
    """
    company = bench_company(size)
    years = sorted(company.financial_years, key=lambda year: year["FromDate"])
    sie_path = workdir / f"{size}.se"
    sie_path.write_bytes(sie_file(company, years[-1]["Id"]))
    return {"size": size, "sie_path": str(sie_path), "workdir": str(workdir),
            "years": [{"id": year["Id"], "from_date": year["FromDate"], "to_date": year["ToDate"]} for year in years]}


def _in_fresh_database(spec: dict) -> dict:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"fortnox_etl_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        return _run_child("--measure", {**spec, "url": url})
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _run_child(role: str, spec: dict) -> dict:
    try:
        child = subprocess.run([sys.executable, __file__, role, json.dumps(spec)], check=True, capture_output=True,
                               text=True)
    except subprocess.CalledProcessError as error:
        sys.exit(f"{role[2:]} {spec['size']} failed:\n{error.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def _measure(spec: dict) -> dict:
    """One size, measured in this process alone."""
    engine = create_staging_engine(spec["url"])
    create_schema(engine)
    sie_path, workdir = Path(spec["sie_path"]), Path(spec["workdir"])
    current = spec["years"][-1]
    load = {"load_id": str(uuid.uuid4()), "loaded_at": "2026-11-24T00:00:00+00:00"}
    partition = {"client_key": CLIENT.key, "financial_year_id": current["id"], **load}

    parse_seconds = _time(lambda: sum(1 for _ in SieStream(sie_path).parts()))  # as staging reads it

    _checkpoint(engine)
    started = time.perf_counter()
    stream = SieStream(sie_path)
    with engine.begin() as connection:
        staged = stage_sie_year(connection, partition, stream.sie, stream)
        for year in spec["years"]:
            connection.execute(text(sql("load/insert_raw_financial_years")), {
                "client_key": CLIENT.key, **load, "financial_year_id": year["id"], "from_date": year["from_date"],
                "to_date": year["to_date"], "account_chart_type": stream.sie.header("#KPTYP") or None,
                "accounting_method": None})
        connection.execute(text(sql("load/insert_raw_company_information")), {
            "client_key": CLIENT.key, **load, "company_name": stream.sie.header("#FNAMN"),
            "organisation_number": stream.sie.header("#ORGNR"), "database_number": None, "address": None,
            "zip_code": None, "city": None, "phone": None})
    staged_at = time.perf_counter()
    with engine.begin() as connection:
        build_sie_client(connection, CLIENT.key)
        build_sie_year(connection, CLIENT.key, current["id"])
    built_at = time.perf_counter()
    written = write_sie4(engine, CLIENT.key, current["id"], workdir / f"{spec['size']}-written.se")
    finished = time.perf_counter()
    if written.transactions != staged.voucher_rows:
        raise RuntimeError(f"wrote {written.transactions} transactions of {staged.voucher_rows} staged")

    rows_file, heads_file = workdir / f"{spec['size']}-rows.copy", workdir / f"{spec['size']}-heads.copy"
    _export(engine, "raw_voucher_rows", rows_file)
    _export(engine, "raw_vouchers", heads_file)
    copy_seconds = statistics.median(_copy(engine, {"raw_voucher_rows": rows_file}, keyed=False) for _ in range(3))
    database_seconds = (_copy(engine, {"raw_voucher_rows": rows_file, "raw_vouchers": heads_file}, keyed=True)
                        + (built_at - staged_at) + _voucher_query_seconds(engine, CLIENT.key, current))
    seconds = finished - started
    return {
        "size": spec["size"], "transactions": staged.voucher_rows, "vouchers": staged.vouchers,
        "seconds": round(seconds, 3), "copy_seconds": round(copy_seconds, 3),
        "ratio_to_copy": round(seconds / copy_seconds, 2), "database_seconds": round(database_seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "breakdown": {"parse": round(parse_seconds, 3), "load": round(staged_at - started - parse_seconds, 3),
                      "transforms": round(built_at - staged_at, 3), "write": round(finished - built_at, 3)},
    }


def _export(engine, table: str, path: Path) -> None:
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        with open(path, "wb") as out, cursor.copy(f"COPY {table} TO STDOUT") as copy:
            for block in copy:
                out.write(block)


def _copy(engine, files: dict[str, Path], keyed: bool) -> float:
    """COPY the exported files into fresh tables like the staging ones (`keyed`: with their primary
    keys; else plain, the baseline), in one transaction; the tables are dropped afterwards."""
    copies = {table: f"{'keyed' if keyed else 'plain'}_{table}" for table in files}
    with engine.begin() as connection:
        for table, copy_table in copies.items():
            connection.exec_driver_sql(f"CREATE TABLE {copy_table} (LIKE {table}{' INCLUDING INDEXES' if keyed else ''})")
    _checkpoint(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for table, path in files.items():
            with open(path, "rb") as source, cursor.copy(f"COPY {copies[table]} FROM STDIN") as copy:
                while block := source.read(_COPY_CHUNK):
                    copy.write(block)
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        for copy_table in copies.values():
            connection.exec_driver_sql(f"DROP TABLE {copy_table}")
    return seconds


def _voucher_query_seconds(engine, client_key: str, year: dict) -> float:
    """The server's time for the writer's voucher records of the whole year, run as the writer runs it."""
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL jit = off")
        plan = connection.execute(text("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql("sie/select_voucher_records")),
                                  {"client_key": client_key, "financial_year_id": year["id"],
                                   "as_of": dt.date.fromisoformat(year["to_date"])}).scalar_one()
    return plan[0]["Execution Time"] / 1000


def _checkpoint(engine) -> None:
    """Start each timed part with nothing of the previous one left to flush."""
    with engine.connect() as connection:
        connection.exec_driver_sql("CHECKPOINT")


def _time(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    if sys.argv[1:2] == ["--prepare"]:
        spec = json.loads(sys.argv[2])
        print(json.dumps(_prepare(spec["size"], Path(spec["workdir"]))))
    elif sys.argv[1:2] == ["--measure"]:
        print(json.dumps(_measure(json.loads(sys.argv[2]))))
    else:
        main(sys.argv[1:])
