"""
### Fortnox sync, one DAG per client: `fortnox_sync__<client>`

One run is one accounting period (a calendar month; a backfill re-imports exactly its months), one task,
`sync_period`, whose log tells each step:
- keeps the client's Fortnox access alive and loads the company, its financial years, chart of accounts,
  vouchers with rows, and the customer and supplier ledgers into staging;
- rebuilds the SIE4 tables and writes the SIE4 file as of the period's end under `out/`;
- the open invoices at the period's end, reconciled with 1510 and 2440 and written as appendices beside
  the SIE4 file;
- the period's checks and the period report (the task's button "Periodrapport"). Red means either an error
  an accountant must look at or a step that could not run: the log's last line says which.

Trigger a run with the period (`YYYY-MM`) to sync that month; leave it empty for the month of the run's
data interval (a backfill syncs each month of its range).

The clients come from `config/clients.yaml`; this file only wires tasks (logic is in `fortnox_etl`).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.sdk import DAG, CronDataIntervalTimetable, Param, get_parsing_context

from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, NOTIFY_ON_FAILURE, SyncPeriod, after_sync_alias
from fortnox_etl.config import Client, load_clients
from fortnox_etl.period import SWEDISH_TIME

CLIENTS_FILE = Path(os.environ.get("FORTNOX_ETL_CLIENTS", Path(__file__).resolve().parents[1] / "config" / "clients.yaml"))
DAG_ID_PREFIX = "fortnox_sync__"
CLIENTS = {client.key: client for client in load_clients(CLIENTS_FILE)}

# Built once and shared by every client's DAG.
# One run per accounting period: each data interval is a calendar month in Swedish time, so a
# backfill over a date range re-imports exactly those months.
MONTHLY = CronDataIntervalTimetable("0 0 1 * *", timezone="Europe/Stockholm")
START_DATE = dt.datetime(2024, 1, 1, tzinfo=SWEDISH_TIME)
# Optional, and checked first thing by the run's task (PeriodError, in words): Airflow's trigger form marks a param
# with a type that does not admit null as required (and then greys out the Backfill button), and a schema
# pattern comes back as a raw JSON-schema error. Airflow validates the default against the schema in every
# client's DAG, checking the schema against its draft's metaschema first: draft 7's is the cheapest.
PERIOD = Param("", title="Period (YYYY-MM)",
               description="The accounting period to sync, e.g. 2025-12; empty: the month of the run's data interval "
                           "(a backfill syncs each month of its range: leave it empty)",
               **{"$schema": "http://json-schema.org/draft-07/schema#"})
DEFAULT_ARGS = {"retries": 3, "retry_delay": dt.timedelta(seconds=30), "retry_exponential_backoff": 2.0,
                "retry_policy": FORTNOX_RETRY_POLICY,
                "on_failure_callback": NOTIFY_ON_FAILURE,  # told once a task has failed for good
                # At month-end the token upkeep and the exports (fortnox_tokens.py, fortnox_export.py) outrank
                # every waiting sync.
                "priority_weight": 1, "weight_rule": "absolute"}


def fortnox_sync(client: Client) -> DAG:
    with DAG(
        dag_id=f"{DAG_ID_PREFIX}{client.key}",
        dag_display_name=f"{client.name}: Fortnox sync",  # the DAG list shows the company; the id stays the key
        description=f"Fortnox → staging → SIE4 for {client.name} ({client.organisation_number})",
        doc_md=__doc__,
        schedule=MONTHLY,
        start_date=START_DATE,
        catchup=False,
        is_paused_upon_creation=False,  # period-end runs are the point: active from the start
        max_active_runs=1,
        # Stated rather than read from Airflow's configuration for each of a thousand DAGs at every parse:
        max_active_tasks=4,  # the client's tasks run one after another; a backfill runs a few periods at once
        max_consecutive_failed_dag_runs=0,  # never paused by Airflow: a failing client stays visible, in red
        tags=["fortnox", "sync", client.key],
        params={"period": PERIOD},
        default_args=DEFAULT_ARGS,
    ) as sync_dag:
        # One task: the period is done when its checks pass; then the client's export DAG runs if vouchers wait.
        SyncPeriod.for_client(client, outlets=[after_sync_alias(client.key)])
    return sync_dag


# A worker running one task needs only that task's DAG; the DAG processor (no dag_id) builds them all.
_running_dag_id = get_parsing_context().dag_id
for _client in CLIENTS.values():
    if _running_dag_id in (None, f"{DAG_ID_PREFIX}{_client.key}"):
        fortnox_sync(_client)
