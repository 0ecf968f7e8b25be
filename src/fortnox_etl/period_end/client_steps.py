"""The task of a client's sync DAG, `sync_period`, and the four steps it runs one after another.

`sync_period` takes the client's context and the task's Airflow context (a mapping: `params`,
`data_interval_start`, `dag_run`, `run_id`, and `ti` to hand on the period) and returns what the task hands on.
The steps only join the work of `connections.token_upkeep`, `extract.sync`, `sie_file`, the ledger modules,
`checks` and the period report. Not imported when the DAG files are parsed: `airflow_support.SyncPeriod`
imports it when a task runs.

One task, not four: each task costs Airflow and its process about 0.8 core-seconds and a few seconds of
a worker slot (bench/fleet.py), more than the SIE file, the ledger appendices or the checks cost to make;
the log names the step that failed (README, "A thousand clients").
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from fortnox_etl.connections.token_upkeep import keep_tokens_alive
from fortnox_etl.extract import sync
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.period import PERIOD_XCOM_KEY, Period, period_for_run
from fortnox_etl.period_end import checks, sie_file

log = logging.getLogger(__name__)


def sync_period(ctx: ClientContext, context: Mapping) -> dict:
    """The period from Fortnox to its checked SIE4 file, ledger appendices and report. Returns the period and
    the files written; fails (after writing the report) when an error check failed."""
    company = extract_from_fortnox(ctx, context)
    context["ti"].xcom_push(key=PERIOD_XCOM_KEY, value=company["period"])
    return close_period(ctx, company)


def close_period(ctx: ClientContext, company: dict) -> dict:
    """The steps after the extract, in order: the SIE4 file, the ledger appendices, the checks and the report."""
    return {"period": company["period"], "sie_file": build_sie_file(ctx, company),
            "ledger_appendices": build_ledger_appendices(ctx, company), "period_report": check_period(ctx, company)}


def extract_from_fortnox(ctx: ClientContext, context: Mapping) -> dict:
    """Everything the period needs from the client's Fortnox, into staging: the company, its financial
    years, chart of accounts, vouchers and balances, then the customer and supplier ledgers at the
    period's end. Keeps the client's Fortnox access alive on the way. What it returns names the run's loads,
    so that the period report counts the Fortnox requests of this run."""
    from fortnox_etl.period_end import ledgers  # loads pandas: imported by the steps that use it

    run = context.get("dag_run")
    period = period_for_run(context["params"].get("period"), context.get("data_interval_start"), dt.date.today(),
                            backfill=getattr(run, "run_type", None) == "backfill")
    keep_tokens_alive(ctx)
    company = sync.extract_company(ctx, period)
    loads = [sync.extract_financial_year(ctx, year)["load_id"] for year in company["years"]]
    loads.append(ledgers.extract_ledgers(ctx, period.last_day)["load_id"])
    return {**company, "run": {"run_id": context.get("run_id"), "load_ids": loads}}


def build_sie_file(ctx: ClientContext, company: dict) -> str:
    """The SIE tables rebuilt, the SIE4 file of the period's year written as of its end and read back."""
    sie_file.build_sie_tables(ctx, company["years"])
    path = sie_file.write_sie_file(ctx, company["years"][-1], as_of=_period_end(company)).path
    sie_file.check_sie_file(ctx.client.key, path)
    return str(path)


def build_ledger_appendices(ctx: ClientContext, company: dict) -> list[str]:
    """The open items at the period's end, reconciled with the control accounts, written as appendices."""
    from fortnox_etl.period_end import ledger_appendices, ledger_reconciliation

    period_end = _period_end(company)
    ledger_reconciliation.build_ledgers(ctx, period_end)
    return [str(path) for path in ledger_appendices.write_ledger_appendices(ctx, period_end)]


def check_period(ctx: ClientContext, company: dict) -> str:
    """The checks stored, then the period report written (a period with errors gets one too, to show them),
    then the task fails if an error check failed. Returns the report's path."""
    from fortnox_etl.period_report.report import write_period_report  # draws with matplotlib: only when run

    period_end = _period_end(company)
    results = checks.run_checks(ctx, company["years"][-1]["id"], period_end)
    try:
        report = write_period_report(ctx.engine, ctx.client, ctx.out_dir, period_end, _run_requests(company))
    except Exception:
        log.exception("client %s: the period report for the period ending %s could not be written; this is a fault "
                      "of ours, the details follow; the checks' verdict comes first", ctx.client.key, period_end)
        checks.gate(results)  # the books' errors, if any, are what the operator must see
        raise
    checks.gate(results)
    return str(report)


def _run_requests(company: dict):
    """The Fortnox requests of this try's extract, as the period report counts them; None for a company whose
    extract kept no record of its loads."""
    from fortnox_etl.period_report.figures import RunRequests

    run = company.get("run")
    return RunRequests(run["run_id"], company["requests"], run["load_ids"]) if run else None


def _period_end(company: dict) -> dt.date:
    return Period.parse(company["period"]).last_day
