"""The staging schema: created once, whoever comes first, however many runs start at the same moment."""
from __future__ import annotations

from sqlalchemy import inspect

from concurrency_helpers import run_at_once
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url


def test_runs_starting_together_on_an_empty_database_all_get_the_schema(staging):
    """The first runs after a bureau installs the product (the tokens DAG, every client's sync) all
    create the schema at once; none may fail on the others' half-created tables and views."""
    engine = create_staging_engine(staging_url(staging))
    _, errors = run_at_once(lambda: create_schema(engine), 6)
    assert errors == []
    found = inspect(engine)
    assert {"raw_voucher_rows", "outbox_vouchers"} <= set(found.get_table_names())
    assert {"sie_vouchers", "sie_transactions"} <= set(found.get_view_names())
