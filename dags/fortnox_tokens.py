"""
### Fortnox connections: `fortnox_tokens`

Every day, renews each client's Fortnox connection whose refresh token would expire within 10 days
(Fortnox's last 45 days from their last use). One mapped task instance per client, named by the
client: a red one is a client that must reconnect (`fortnox-etl connect <client>`); its log says why.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.sdk import dag, get_current_context, task

from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, airflow_connection
from fortnox_etl.config import load_clients

CLIENTS_FILE = Path(os.environ.get("FORTNOX_ETL_CLIENTS", Path(__file__).resolve().parents[1] / "config" / "clients.yaml"))
CLIENTS = {client.key: client for client in load_clients(CLIENTS_FILE)}


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
                  "retry_policy": FORTNOX_RETRY_POLICY},
)
def fortnox_tokens():
    # One task mapped over the clients rather than a task per client: the DAG processor builds one
    # operator, not one per client, at every parse.
    @task(map_index_template="{{ client_key }}")
    def renew(client_key: str) -> bool:
        from fortnox_etl.staging.database import create_schema
        from fortnox_etl.sync import SyncContext
        from fortnox_etl.token_upkeep import renew_if_expiring

        get_current_context()["client_key"] = client_key  # names the task instance in the UI
        ctx = SyncContext.create(CLIENTS[client_key], airflow_connection)
        create_schema(ctx.engine)
        return renew_if_expiring(ctx.tokens(), client_key)

    renew.expand(client_key=list(CLIENTS))


fortnox_tokens()
