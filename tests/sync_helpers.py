"""Helpers shared by the sync tests: the DAG's steps in order, and a snapshot of the staged books."""
from __future__ import annotations

from sqlalchemy import inspect, text

from fortnox_etl.connections import token_upkeep
from fortnox_etl.extract import sync
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.period import Period
from fortnox_etl.period_end import sie_file


def run_sync(ctx: ClientContext, period: str):
    """The sync DAG's tasks in their order, without Airflow."""
    token_upkeep.keep_tokens_alive(ctx)
    years = sync.extract_company(ctx, Period.parse(period))["years"]
    for year in years:
        sync.extract_financial_year(ctx, year)
    sie_file.build_sie_tables(ctx, years)
    summary = sie_file.write_sie_file(ctx, years[-1])
    sie_file.check_sie_file(ctx.client.key, summary.path)
    return summary


def year_end(company) -> str:
    return company.financial_years[-1]["ToDate"][:7]


def staging_snapshot(engine) -> dict[str, list[tuple]]:
    """Every raw and SIE table's (and view's) rows, leaving out what only identifies a load (its id and time).

    The load log, tokens and request budget are operational records, not the staged books."""
    snapshot = {}
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names() + inspect(connection).get_view_names():
            if not table.startswith(("raw_", "sie_")):
                continue
            columns = [c["name"] for c in inspect(connection).get_columns(table) if c["name"] not in ("load_id", "loaded_at")]
            rows = connection.execute(text(f"SELECT {', '.join(columns)} FROM {table}")).all()
            snapshot[table] = sorted(tuple(str(value) for value in row) for row in rows)
    return snapshot
