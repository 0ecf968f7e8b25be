"""
### Fortnox connections: `fortnox_tokens`

Every day, renews each client's Fortnox connection whose refresh token would expire within 10 days
(Fortnox's last 45 days from their last use) and confirms every connection with one request to Fortnox.
One mapped task instance per client, named by the client: a red one is a client whose connection does not
work (revoked, expired, a licence withdrawn); its log's last line says why and what to do. A connection
that must be reconnected, or that still expires within 10 days, is told (notifications: README).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

from airflow.sdk import dag, get_current_context, task

from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, NOTIFY_ON_FAILURE, renew_connection, staging_engine
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
    # The clients are read when the DAG runs, not at every parse of this file, and one task is mapped
    # over them: the DAG processor builds two operators, whatever the number of clients.
    @task
    def list_clients() -> list[dict]:
        from fortnox_etl.staging.database import create_schema

        create_schema(staging_engine())  # once, before the clients' renewals
        return [dataclasses.asdict(client) for client in load_clients(CLIENTS_FILE)]

    @task(map_index_template="{{ client_key }}")
    def renew(client: dict) -> bool:
        context = get_current_context()
        context["client_key"] = client["key"]  # names the task instance in the UI
        return renew_connection(Client(**client), context)

    renew.expand(client=list_clients())


fortnox_tokens()
