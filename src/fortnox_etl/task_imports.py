"""What every task process needs imported, imported once by the process its executor forks task processes
from, so that a task starts with them instead of importing them anew.

Measured (bench/fleet.py, 10 clients): importing took 62% of the CPU the client steps' tasks spent in their
`execute`, about 0.4 core-seconds of a sync step's second; a month-end runs six tasks per client. Airflow's
settings name this module: `[scheduler] mp_forkserver_preload` for the LocalExecutor (its workers come from
a forkserver) and the Celery settings' `imports` for Celery workers (`celery_settings`), each beside Airflow's
own task runner."""
from __future__ import annotations

import importlib

TASK_MODULES = (
    "fortnox_etl.airflow_support",
    "fortnox_etl.period_end.client_steps",
    "fortnox_etl.period_end.ledgers",  # pandas
    "fortnox_etl.period_end.ledger_appendices",  # openpyxl
    "fortnox_etl.period_end.ledger_reconciliation",
    "fortnox_etl.period_report.report",
    "fortnox_etl.period_report.figures",
    # The period report's charts import matplotlib only when they draw: not at the DAG processor's parse.
    "matplotlib.figure",
    "matplotlib.ticker",
    "matplotlib.backends.backend_svg",
    "fortnox_etl.export.approval",
    "fortnox_etl.export.posting",
    "fortnox_etl.connections.token_upkeep",
)

for _name in TASK_MODULES:
    importlib.import_module(_name)
