"""Parsing the DAG files with 1,000 clients in the configuration (target: under 2 seconds).

Bureaus have hundreds of clients and Airflow gives a DAG file 30 s; the parse must stay far below.
Each file is parsed as Airflow's DAG processor parses it: DagBag in a fresh interpreter, Airflow
itself already imported and its objects frozen out of the garbage collector's sight (the processor's
manager calls gc.freeze() before it forks a process per file: DagFileProcessorManager.before_run),
every client's DAG with all its tasks, no parsing context (a worker running one task sets one and
builds only that task's DAG). The figure is the sum over the files.
A baseline parsed in the same run, the sync file's DAGs and tasks built as cheaply as Airflow allows,
gives a ratio that does not drift with the load of a shared machine.
Figures: out/bench/dag_parse.json (clients, seconds; seconds, DAGs and tasks per file; baseline, ratio).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import write_figures  # noqa: E402

from fortnox_etl.sandbox.generator import client_file_text, generate_companies  # noqa: E402

CLIENTS = 1000
DAGS = Path(__file__).resolve().parents[1] / "dags"
# Timed in a fresh interpreter, as Airflow's DAG processor parses a file, imports already warm.
PARSE = """
import gc, sys, time
from airflow.dag_processing.dagbag import DagBag
gc.freeze()  # as the DAG processor's manager does before it forks a file's parsing process
started = time.perf_counter()
bag = DagBag(sys.argv[1])
elapsed = time.perf_counter() - started
assert not bag.import_errors, bag.import_errors
print("PARSED", elapsed, len(bag.dags), sum(len(dag.tasks) for dag in bag.dags.values()))
"""


# As many DAGs and tasks as the sync file, built as cheaply as Airflow allows: EmptyOperators, no params.
BASELINE = """
import datetime as dt
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, chain

for client in range({clients}):
    with DAG(f"baseline__{{client}}", schedule="@monthly", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)):
        chain(*(EmptyOperator(task_id=f"task_{{number}}") for number in range({tasks_per_client})))
"""


def parse(dag_file: Path, env: dict) -> tuple[float, int, int]:
    """Seconds, DAGs and tasks of one file's parse."""
    output = subprocess.run([sys.executable, "-c", PARSE, str(dag_file)], env=env, check=True,
                            capture_output=True, text=True).stdout
    _, elapsed, dags, tasks = next(line for line in output.splitlines() if line.startswith("PARSED")).split()
    return float(elapsed), int(dags), int(tasks)


def main() -> None:
    companies = generate_companies(seed=1, count=CLIENTS, size="S", years=1)
    with tempfile.TemporaryDirectory() as folder:
        clients_file = Path(folder) / "clients.yaml"
        clients_file.write_text(client_file_text(companies, key_digits=4), encoding="utf-8")
        env = {**os.environ, "FORTNOX_ETL_CLIENTS": str(clients_file), "AIRFLOW_HOME": folder}
        env.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
        results = {dag_file: parse(DAGS / dag_file, env)
                   for dag_file in ("fortnox_sync.py", "fortnox_export.py", "fortnox_tokens.py")}
        # Every client's DAGs with all their tasks, as the DAG processor builds them.
        assert results["fortnox_sync.py"][1] == results["fortnox_export.py"][1] == CLIENTS, results
        assert results["fortnox_tokens.py"][1] == 1, results  # one DAG, mapped over the clients when it runs
        baseline_file = Path(folder) / "baseline.py"
        baseline_file.write_text(BASELINE.format(clients=CLIENTS, tasks_per_client=results["fortnox_sync.py"][2] // CLIENTS))
        baseline = parse(baseline_file, env)
    seconds = sum(elapsed for elapsed, _, _ in results.values())
    path = write_figures("dag_parse", {
        "clients": CLIENTS, "seconds": round(seconds, 2),
        "files": {name: round(elapsed, 2) for name, (elapsed, _, _) in results.items()},
        "dags": {name: dags for name, (_, dags, _) in results.items()},
        "tasks": {name: tasks for name, (_, _, tasks) in results.items()},
        "baseline_seconds": round(baseline[0], 2),
        "sync_ratio_to_baseline": round(results["fortnox_sync.py"][0] / baseline[0], 2),
    })
    print(f"DAG parsing with {CLIENTS:,} clients (target: under 2 s for all files together)")
    for name, (elapsed, dags, tasks) in {**results, "baseline (EmptyOperators)": baseline}.items():
        print(f"  {name:<26}{elapsed:>6.2f} s  {dags:>5} DAGs  {tasks:>6} tasks")
    print(f"  {'total of the DAG files':<26}{seconds:>6.2f} s")
    print(f"  fortnox_sync.py takes {results['fortnox_sync.py'][0] / baseline[0]:.2f}x the baseline")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
