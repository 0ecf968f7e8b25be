"""
### Export to Fortnox, one DAG per client: `fortnox_export__<client>`

Posts the client's **approved** outbox vouchers (closing entries: tax, periodiseringsfond,
överavskrivningar, accruals, the result transfer) into its Fortnox, each exactly once. Runs when
a sync of the client leaves vouchers waiting in its outbox (drafts to approve, approved ones to post) and whenever
you trigger it.

Its one task, `approve_and_post_vouchers`, first asks about the drafts added with `fortnox-etl vouchers
add`, if any wait, in Airflow's *Required actions*: the form lists every draft with its rows and a choice
per draft. **Approve** approves the drafts chosen Approve (the others stay drafts); **Reject** approves
none; unanswered for three days, nothing is approved. It then posts every approved voucher, also those
approved with `fortnox-etl vouchers approve`, and logs each one posted or why it was refused;
`fortnox-etl vouchers list` shows the outbox.

The clients come from `config/clients.yaml`; this file only wires tasks (logic is in `fortnox_etl`).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.sdk import DAG, get_parsing_context

from fortnox_etl.airflow_support import FORTNOX_RETRY_POLICY, NOTIFY_ON_FAILURE, VoucherExportOperator, vouchers_waiting_asset
from fortnox_etl.config import Client, load_clients

CLIENTS_FILE = Path(os.environ.get("FORTNOX_ETL_CLIENTS", Path(__file__).resolve().parents[1] / "config" / "clients.yaml"))
DAG_ID_PREFIX = "fortnox_export__"
CLIENTS = {client.key: client for client in load_clients(CLIENTS_FILE)}

# Built once and shared by every client's DAG.
START_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
# A crashed export holds its lease for two minutes: the retries come after it.
DEFAULT_ARGS = {"retries": 3, "retry_delay": dt.timedelta(minutes=1), "retry_exponential_backoff": 2.0,
                "retry_policy": FORTNOX_RETRY_POLICY,
                "on_failure_callback": NOTIFY_ON_FAILURE,  # told once a task has failed for good
                # Before any waiting sync (weight 1, fortnox_sync.py): a month-end does not hold it up.
                "priority_weight": 10, "weight_rule": "absolute"}
UNANSWERED_AFTER = dt.timedelta(days=3)  # then nothing is approved and the approved ones are posted


def fortnox_export(client: Client) -> DAG:
    with DAG(
        dag_id=f"{DAG_ID_PREFIX}{client.key}",
        dag_display_name=f"{client.name}: Fortnox export",  # the DAG list shows the company; the id stays the key
        description=f"Approved closing vouchers → Fortnox for {client.name} ({client.organisation_number})",
        doc_md=__doc__,
        schedule=[vouchers_waiting_asset(client.key)],  # after a sync of the client that left vouchers waiting
        start_date=START_DATE,
        catchup=False,
        is_paused_upon_creation=False,
        max_active_runs=1,
        # Stated rather than read from Airflow's configuration for each of a thousand DAGs at every parse:
        max_active_tasks=4,  # the client's tasks run one after another; a backfill runs a few periods at once
        max_consecutive_failed_dag_runs=0,  # never paused by Airflow: a failing client stays visible, in red
        tags=["fortnox", "export", client.key],
        default_args=DEFAULT_ARGS,
    ) as export_dag:
        VoucherExportOperator(task_id="approve_and_post_vouchers", client=client, response_timeout=UNANSWERED_AFTER)
    return export_dag


# A worker running the task needs only its client's DAG; the DAG processor (no dag_id) builds them all.
_running_dag_id = get_parsing_context().dag_id
for _client in CLIENTS.values():
    if _running_dag_id in (None, f"{DAG_ID_PREFIX}{_client.key}"):
        fortnox_export(_client)
