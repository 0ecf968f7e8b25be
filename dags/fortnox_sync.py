"""
### Fortnox sync, one DAG per client: `fortnox_sync__<client>`

One run is one accounting period (a calendar month; a backfill re-imports exactly its months).
Keeps the client's Fortnox access alive, loads the company, its financial years, chart of accounts,
vouchers with rows and its customer and supplier ledgers into staging, rebuilds the SIE4 tables,
writes the SIE4 file and the ledger appendices as of the period's end under `out/`, and runs the
period's checks: a red `check_period` means an error an accountant must look at (its log says which).
Trigger a run with the period (`YYYY-MM`) to sync that month.

The clients come from `config/clients.yaml`; this file only wires tasks (logic is in `fortnox_etl`).
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, get_current_context, get_parsing_context

from fortnox_etl import checks, sync
from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, airflow_connection, books_asset
from fortnox_etl.config import Client, load_clients
from fortnox_etl.period import SWEDISH_TIME, Period, period_for_run

CLIENTS_FILE = Path(os.environ.get("FORTNOX_ETL_CLIENTS", Path(__file__).resolve().parents[1] / "config" / "clients.yaml"))
DAG_ID_PREFIX = "fortnox_sync__"
CLIENTS = {client.key: client for client in load_clients(CLIENTS_FILE)}


def context(client_key: str) -> sync.SyncContext:
    return sync.SyncContext.create(CLIENTS[client_key], airflow_connection)


def period_end(company: dict) -> dt.date:
    return Period.parse(company["period"]).last_day


# The steps of a client's sync, one task each, defined once for all clients: the task passes the client's key.
def keep_tokens_alive(client_key: str) -> None:
    sync.keep_tokens_alive(context(client_key))


def extract_company(client_key: str) -> dict:
    airflow_context = get_current_context()
    period = period_for_run(airflow_context["params"].get("period"),
                            airflow_context.get("data_interval_start"), dt.date.today())
    return sync.extract_company(context(client_key), period)


def extract_financial_years(client_key: str, company: dict) -> list[dict]:
    ctx = context(client_key)
    for year in company["years"]:
        sync.extract_financial_year(ctx, year)
    return company["years"]


def build_sie_tables(client_key: str, years: list[dict]) -> None:
    sync.build_sie_tables(context(client_key), years)


# The ledger module loads pandas: imported inside its tasks so that parsing this file stays fast.
def extract_ledgers(client_key: str, company: dict) -> dict:
    from fortnox_etl import ledgers

    return ledgers.extract_ledgers(context(client_key), period_end(company))


def build_ledgers(client_key: str, company: dict) -> None:
    from fortnox_etl import ledgers

    ledgers.build_ledgers(context(client_key), period_end(company))


def write_ledger_appendices(client_key: str, company: dict) -> list[str]:
    from fortnox_etl import ledgers

    return [str(path) for path in ledgers.write_ledger_appendices(context(client_key), period_end(company))]


def write_sie_file(client_key: str, company: dict) -> str:
    return str(sync.write_sie_file(context(client_key), company["years"][-1], as_of=period_end(company)).path)


def check_sie_file(client_key: str, path: str) -> None:
    sync.check_sie_file(client_key, Path(path))


def check_period(client_key: str, company: dict) -> None:
    results = checks.run_checks(context(client_key), company["years"][-1]["id"], period_end(company))
    checks.gate(results)


def step(function: Callable, client: Client, outlets: tuple = (), **inputs) -> PythonOperator:
    """The task running `function` for the client; `inputs` are earlier tasks' results (`task.output`).

    A plain PythonOperator rather than @task: the DAG processor builds ten tasks for every client,
    and a TaskFlow task costs twice as much to build (its four operator classes each merge the
    DAG's defaults and copy its params)."""
    return PythonOperator(task_id=function.__name__, python_callable=function,
                          op_kwargs={"client_key": client.key, **inputs}, outlets=list(outlets))


# Built once and shared by every client's DAG.
# One run per accounting period: each data interval is a calendar month in Swedish time, so a
# backfill over a date range re-imports exactly those months.
MONTHLY = CronDataIntervalTimetable("0 0 1 * *", timezone="Europe/Stockholm")
START_DATE = dt.datetime(2024, 1, 1, tzinfo=SWEDISH_TIME)
# Airflow validates the default against the schema in every client's DAG, and jsonschema first checks
# the schema itself against its draft's metaschema: draft 7's costs a third of the default 2020-12's.
PERIOD = Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
               description="The accounting period to sync, YYYY-MM (empty: the month of the run's data interval)",
               **{"$schema": "http://json-schema.org/draft-07/schema#"})
DEFAULT_ARGS = {"retries": 3, "retry_delay": dt.timedelta(seconds=30), "retry_exponential_backoff": 2.0,
                "retry_policy": FORTNOX_RETRY_POLICY}


def fortnox_sync(client: Client) -> DAG:
    with DAG(
        dag_id=f"{DAG_ID_PREFIX}{client.key}",
        description=f"Fortnox → staging → SIE4 for {client.name} ({client.organisation_number})",
        doc_md=__doc__,
        schedule=MONTHLY,
        start_date=START_DATE,
        catchup=False,
        is_paused_upon_creation=False,  # period-end runs are the point: active from the start
        max_active_runs=1,
        tags=["fortnox", "sync", client.key],
        params={"period": PERIOD},
        default_args=DEFAULT_ARGS,
    ) as sync_dag:
        company = step(extract_company, client)
        step(keep_tokens_alive, client) >> company
        years = step(extract_financial_years, client, company=company.output)
        sie_tables = step(build_sie_tables, client, years=years.output)
        sie_file = step(write_sie_file, client, company=company.output)
        sie_tables >> sie_file
        sie_file_checked = step(check_sie_file, client, path=sie_file.output)
        ledger_results = step(build_ledgers, client, company=company.output)
        [sie_tables, step(extract_ledgers, client, company=company.output)] >> ledger_results
        ledger_results >> step(write_ledger_appendices, client, company=company.output)
        # The period is done when its checks pass: then the client's export DAG runs (the books asset).
        period_checked = step(check_period, client, outlets=(books_asset(client.key),), company=company.output)
        [ledger_results, sie_file_checked] >> period_checked
    return sync_dag


# A worker running one task needs only that task's DAG; the DAG processor (no dag_id) builds them all.
_running_dag_id = get_parsing_context().dag_id
for _client in CLIENTS.values():
    if _running_dag_id in (None, f"{DAG_ID_PREFIX}{_client.key}"):
        fortnox_sync(_client)
