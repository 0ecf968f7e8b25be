"""Parsing the DAG files with 1,000 clients in the configuration (target: under 2 seconds).

Bureaus have hundreds of clients and Airflow gives a DAG file 30 s; the parse must stay far below.
Figures: out/bench/dag_parse.json.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import write_figures  # noqa: E402

from fortnox_etl.sandbox.generator import generate_companies  # noqa: E402

CLIENTS = 1000
DAGS = Path(__file__).resolve().parents[1] / "dags"
# Timed in a fresh interpreter, as Airflow's DAG processor parses a file, imports already warm.
PARSE = """
import sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(sys.argv[1])
elapsed = time.perf_counter() - started
assert not bag.import_errors, bag.import_errors
print("PARSED", elapsed, len(bag.dags))
"""


def main() -> None:
    companies = generate_companies(seed=1, count=CLIENTS, size="S", years=1)
    with tempfile.TemporaryDirectory() as folder:
        clients_file = Path(folder) / "clients.yaml"
        clients_file.write_text("clients:\n" + "".join(
            f"  - {{key: c{i:04d}, name: {c.spec.name!r}, organisation_number: '{c.spec.organisation_number}', "
            f"fiscal_year_start_month: {c.spec.fiscal_year_start_month}}}\n" for i, c in enumerate(companies)),
            encoding="utf-8")
        env = {**os.environ, "FORTNOX_ETL_CLIENTS": str(clients_file), "AIRFLOW_HOME": folder}
        results = {}
        for dag_file in ("fortnox_sync.py", "fortnox_tokens.py"):
            output = subprocess.run([sys.executable, "-c", PARSE, str(DAGS / dag_file)], env=env, check=True,
                                    capture_output=True, text=True).stdout
            _, elapsed, dags = next(line for line in output.splitlines() if line.startswith("PARSED")).split()
            results[dag_file] = (float(elapsed), int(dags))
    seconds = sum(elapsed for elapsed, _ in results.values())
    path = write_figures("dag_parse", {"clients": CLIENTS, "seconds": round(seconds, 2),
                                       "files": {name: round(elapsed, 2) for name, (elapsed, _) in results.items()}})
    print(f"DAG parsing with {CLIENTS:,} clients (target under 2 s per file)")
    for name, (elapsed, dags) in results.items():
        print(f"  {name:<22}{elapsed:>6.2f} s  {dags:>5} DAGs")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
