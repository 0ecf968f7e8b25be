"""The staging schema: created once, whoever comes first, however many runs start at the same moment."""
from __future__ import annotations

import threading

from sqlalchemy import inspect

from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url


def test_runs_starting_together_on_an_empty_database_all_get_the_schema(staging):
    """The first runs after a bureau installs the product (the tokens DAG, every client's sync) all
    create the schema at once; none may fail on the others' half-created tables and views."""
    engine = create_staging_engine(staging_url(staging))
    start, failures = threading.Barrier(6), []

    def run() -> None:
        start.wait()
        try:
            create_schema(engine)
        except Exception as error:  # collected: each run's failure is the finding
            failures.append(error)

    runs = [threading.Thread(target=run) for _ in range(6)]
    for each in runs:
        each.start()
    for each in runs:
        each.join()
    assert failures == []
    found = inspect(engine)
    assert {"raw_voucher_rows", "outbox_vouchers"} <= set(found.get_table_names())
    assert {"sie_vouchers", "sie_transactions"} <= set(found.get_view_names())
