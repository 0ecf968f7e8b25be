"""
### Fortnox connections: `fortnox_tokens`

Every day, renews each client's Fortnox connection whose refresh token would expire within 10 days
(Fortnox's last 45 days from their last use) and confirms every connection with one request to Fortnox.
`confirm_connections` does every client in one task, a line each in its log; a client it failed for gets
a mapped task instance of `renew`, named by the client, which tries again: a red one is a client whose
connection does not work (revoked, expired, a licence withdrawn), and its log's last line says why and what
to do. A connection that must be reconnected, or that still expires within 10 days, is told
(notifications: README). On a day when every connection works, `renew` has nothing to do (skipped).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

from airflow.sdk import dag, get_current_context, task

from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, NOTIFY_ON_FAILURE, confirm_connections_of, renew_connection
from fortnox_etl.config import Client, load_clients

CLIENTS_FILE = Path(os.environ.get("FORTNOX_ETL_CLIENTS", Path(__file__).resolve().parents[1] / "config" / "clients.yaml"))


@dag(
    dag_id="fortnox_tokens",
    description="Renews Fortnox connections before their refresh tokens expire",
    doc_md=__doc__,
    schedule="@daily",
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    is_paused_upon_creation=False,  # connections must be kept alive from the start
    max_active_runs=1,
    tags=["fortnox", "connections"],
    default_args={"retries": 3, "retry_delay": dt.timedelta(minutes=5), "retry_exponential_backoff": 2.0,
                  "retry_policy": FORTNOX_RETRY_POLICY, "on_failure_callback": NOTIFY_ON_FAILURE,
                  # First of all waiting tasks (exports weigh 10, syncs 1): a month-end of every
                  # client cannot keep a connection from being renewed before its refresh token expires.
                  "priority_weight": 20, "weight_rule": "absolute"},
)
def fortnox_tokens():
    # The clients are read when the DAG runs, not at every parse of this file. A working connection costs a
    # line in one task's log, not a task of its own: at a thousand clients a task each would be a thousand
    # task processes a day, each costing more than its two requests to Fortnox.
    @task
    def confirm_connections() -> list[dict]:
        return [dataclasses.asdict(client) for client in confirm_connections_of(load_clients(CLIENTS_FILE))]

    @task(map_index_template="{{ client_key }}")
    def renew(client: dict) -> bool:
        context = get_current_context()
        context["client_key"] = client["key"]  # names the task instance in the UI
        return renew_connection(Client(**client), context)

    renew.expand(client=confirm_connections())


fortnox_tokens()
