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
from pathlib import Path

from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

from fortnox_etl import checks, sync
from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, airflow_connection
from fortnox_etl.config import Client, load_clients
from fortnox_etl.period import SWEDISH_TIME, Period, period_for_run

CLIENTS_FILE = Path(os.environ.get("FORTNOX_ETL_CLIENTS", Path(__file__).resolve().parents[1] / "config" / "clients.yaml"))


def period_end(company: dict) -> dt.date:
    return Period.parse(company["period"]).last_day


def fortnox_sync(client: Client):
    @dag(
        dag_id=f"fortnox_sync__{client.key}",
        description=f"Fortnox → staging → SIE4 for {client.name} ({client.organisation_number})",
        doc_md=__doc__,
        # One run per accounting period: each data interval is a calendar month in Swedish time, so a
        # backfill over a date range re-imports exactly those months.
        schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="Europe/Stockholm"),
        start_date=dt.datetime(2024, 1, 1, tzinfo=SWEDISH_TIME),
        catchup=False,
        is_paused_upon_creation=False,  # period-end runs are the point: active from the start
        max_active_runs=1,
        tags=["fortnox", "sync", client.key],
        params={
            "period": Param(
                None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                description="The accounting period to sync, YYYY-MM (empty: the month of the run's data interval)",
            )
        },
        default_args={"retries": 3, "retry_delay": dt.timedelta(seconds=30), "retry_exponential_backoff": 2.0,
                      "retry_policy": FORTNOX_RETRY_POLICY},
    )
    def sync_dag():
        def context() -> sync.SyncContext:
            return sync.SyncContext.create(client, airflow_connection)

        @task
        def keep_tokens_alive() -> None:
            sync.keep_tokens_alive(context())

        @task
        def extract_company() -> dict:
            airflow_context = get_current_context()
            period = period_for_run(airflow_context["params"].get("period"),
                                    airflow_context.get("data_interval_start"), dt.date.today())
            return sync.extract_company(context(), period)

        @task
        def extract_financial_years(company: dict) -> list[dict]:
            ctx = context()
            for year in company["years"]:
                sync.extract_financial_year(ctx, year)
            return company["years"]

        @task
        def build_sie_tables(years: list[dict]) -> None:
            sync.build_sie_tables(context(), years)

        # The ledger module loads pandas: imported inside its tasks so that parsing this file stays fast.
        @task
        def extract_ledgers(company: dict) -> dict:
            from fortnox_etl import ledgers

            return ledgers.extract_ledgers(context(), period_end(company))

        @task
        def build_ledgers(company: dict) -> None:
            from fortnox_etl import ledgers

            ledgers.build_ledgers(context(), period_end(company))

        @task
        def write_ledger_appendices(company: dict) -> list[str]:
            from fortnox_etl import ledgers

            return [str(path) for path in ledgers.write_ledger_appendices(context(), period_end(company))]

        @task
        def write_sie_file(company: dict) -> str:
            return str(sync.write_sie_file(context(), company["years"][-1], as_of=period_end(company)).path)

        @task
        def check_sie_file(path: str) -> None:
            sync.check_sie_file(client.key, Path(path))

        @task
        def check_period(company: dict) -> None:
            results = checks.run_checks(context(), company["years"][-1]["id"], period_end(company))
            checks.gate(results)

        company = extract_company()
        keep_tokens_alive() >> company
        sie_tables = build_sie_tables(extract_financial_years(company))
        sie_file = write_sie_file(company)
        sie_tables >> sie_file
        check_sie_file(sie_file)
        ledger_results = build_ledgers(company)
        [sie_tables, extract_ledgers(company)] >> ledger_results
        ledger_results >> write_ledger_appendices(company)
        ledger_results >> check_period(company)

    return sync_dag()


for _client in load_clients(CLIENTS_FILE):
    fortnox_sync(_client)
