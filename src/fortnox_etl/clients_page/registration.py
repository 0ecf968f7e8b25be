"""What the plugin registers, kept light: Airflow loads plugins in every process, a task's too, where the page
has nothing to do. The page's app is imported by its first request (in the API server), and the listener
needs no more than Airflow's hook marker. One of the three modules of the room importing Airflow."""
from __future__ import annotations

import datetime as dt

from airflow.listeners import hookimpl

from fortnox_etl.clients_page.overview import SYNC_DAG_PREFIX
from fortnox_etl.period import period_for_run

PREFIX = "/fortnox"
UI_ROUTE = "clients"  # the page's place in Airflow's UI: /plugin/clients
_NOTED_RUN_TYPES = {"scheduled": "scheduled", "backfill": "backfill"}


async def clients_app(scope, receive, send) -> None:
    """The page's FastAPI app (`web.app`), imported when the API server first serves it."""
    from fortnox_etl.clients_page.web import app

    await app(scope, receive, send)


class PeriodNotes:
    """A listener (called in the scheduler as a run starts) noting on each scheduled or backfill run of a sync
    DAG the period it syncs, so that Airflow's run lists show it beside a technical id like
    backfill__2025-10-31T23:00. A run that has a note keeps it; the note goes in with the scheduler's own commit."""

    @hookimpl
    def on_dag_run_running(self, dag_run, msg: str) -> None:
        kind = _NOTED_RUN_TYPES.get(str(getattr(dag_run.run_type, "value", dag_run.run_type)))
        if kind is None or not dag_run.dag_id.startswith(SYNC_DAG_PREFIX) or dag_run.note:
            return
        period = period_for_run((dag_run.conf or {}).get("period"), dag_run.data_interval_start, dt.date.today())
        dag_run.note = (f"period {period} ({kind})", None)
