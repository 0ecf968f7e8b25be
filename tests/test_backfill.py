"""A backfill through Airflow itself: scheduler, API server and LocalExecutor on a PostgreSQL metadata
database. Three months backfilled give three periods of outputs; rerunning one leaves staging identical."""
from __future__ import annotations

import json
import time

import pytest

from airflow_services import acme_for_airflow, airflow, running_airflow
from fortnox_etl.staging.database import create_staging_engine
from sync_helpers import staging_snapshot

pytestmark = pytest.mark.airflow_services(seconds=80)

DAG_ID = "fortnox_sync__acme"
BACKFILL = ("2025-04-01T00:00:00+02:00", "2025-06-01T00:00:00+02:00")  # interval starts, Swedish time
PERIOD_ENDS = ("2025-04-30", "2025-05-31", "2025-06-30")


def runs(env: dict) -> dict[str, str]:
    """Every run of the DAG: the backfill's and the schedule's own latest month."""
    output = airflow(env, "dags", "list-runs", DAG_ID, "-o", "json")
    listing = next((line for line in output.splitlines() if line.startswith("[")), "[]")
    return {run["run_id"]: run["state"] for run in json.loads(listing)}


def wait_for(env: dict, backfill_runs: int, deadline_seconds: float = 420) -> dict[str, str]:
    """The backfill's run states, once it has all its runs and no run of the DAG is still writing."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        states = runs(env)
        backfill = {run: state for run, state in states.items() if run.startswith("backfill__")}
        if len(backfill) == backfill_runs and all(state in ("success", "failed") for state in states.values()):
            return backfill
        time.sleep(3)
    raise AssertionError(f"the backfill did not finish: {runs(env)}")


def test_a_three_month_backfill_gives_three_periods_and_a_rerun_changes_nothing(tmp_path, metadata_database):
    with acme_for_airflow(tmp_path, metadata_database) as (_, paths, env):
        staging = create_staging_engine(str(paths.staging_db))
        with running_airflow(env, tmp_path / "airflow-processes.log"):
            airflow(env, "backfill", "create", "--dag-id", DAG_ID, "--from-date", BACKFILL[0], "--to-date", BACKFILL[1])
            states = wait_for(env, backfill_runs=3)
            assert set(states.values()) == {"success"}, states

            # The DAG's own latest month (last month) runs too and writes its own file; these are the backfill's.
            files = sorted(p.name for p in (paths.out_dir / "acme").glob("acme_sie4_20250101-20251231_per_*.se"))
            assert files == [f"acme_sie4_20250101-20251231_per_{end.replace('-', '')}.se" for end in PERIOD_ENDS]
            before = staging_snapshot(staging)

            airflow(env, "tasks", "clear", DAG_ID, "--start-date", "2025-05-01T00:00:00+02:00",
                    "--end-date", "2025-05-01T00:00:00+02:00", "--yes")
            states = wait_for(env, backfill_runs=3)
            assert set(states.values()) == {"success"}, states
            assert staging_snapshot(staging) == before
