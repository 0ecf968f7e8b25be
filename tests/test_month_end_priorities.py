"""A month-end crowding a real scheduler: five clients' scheduled month all due at once, every sync slowed by
a slow Fortnox, one task slot (the project's LocalExecutor with parallelism 1). The daily token upkeep falls due while
syncs wait, and each sync that succeeds starts its client's export (each client has an approved closing voucher
waiting): every one of their tasks gets the slot before every sync that was waiting when it became ready, and the
whole month ends in success."""
from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from airflow_services import (
    EXPORT_PREFIX,
    EXPORT_TASK,
    SYNC_PREFIX,
    SYNC_TASK,
    api_session,
    api_url,
    dag_runs,
    month_done,
    running_airflow,
    services_environment,
    task_instances,
    wait_until,
    write_clients_file,
)
from fortnox_etl.config import load_clients
from fortnox_etl.demo import DemoPaths, prepare_local_airflow, sandbox_app
from fortnox_etl.export.outbox import POSTED, Outbox
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.sandbox.faults import Fault, FaultPlan
from fortnox_etl.sandbox.generator import generate_companies
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.staging.database import create_staging_engine

pytestmark = pytest.mark.airflow_services(seconds=190)

CLIENTS = 5
UPKEEP = "fortnox_tokens"
CLOSING_FILE = Path(__file__).resolve().parents[1] / "examples" / "closing_vouchers_acme.csv"
# Every Fortnox request this late: a sync takes a few seconds, long enough for the others to queue up behind it.
SLOW_FORTNOX = FaultPlan((Fault("slow", share=1.0, delay_ms=100),))


def moment(instance: dict, field: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(instance[field])


def overtaking_syncs(ahead: dict, syncs: list[dict]) -> tuple[list[dict], list[dict]]:
    """The syncs waiting for the slot when `ahead` became ready (scheduled by then, not yet queued: a queued task
    holds the slot already), and those of them that started before it."""
    ready = moment(ahead, "scheduled_when")
    waiting = [sync for sync in syncs
               if moment(sync, "scheduled_when") <= ready < moment(sync, "queued_when")]
    return waiting, [sync for sync in waiting if moment(sync, "start_date") < moment(ahead, "start_date")]


def test_a_month_end_of_every_client_waits_behind_the_token_upkeep_and_the_exports(tmp_path, metadata_database):
    companies = generate_companies(seed=17, count=CLIENTS)
    clients_file = write_clients_file(tmp_path / "clients.yaml", companies)
    clients = load_clients(clients_file)
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    started = time.monotonic()
    with RunningSandbox(companies, faults=SLOW_FORTNOX) as sandbox:
        local = prepare_local_airflow(sandbox_app(sandbox.base_url), clients, paths)
        staging = create_staging_engine(str(paths.staging_db))
        outboxes = [Outbox(staging, client.key) for client in clients]
        for outbox in outboxes:
            outbox.approve(outbox.add(read_drafts(CLOSING_FILE), "anna"), "bertil")
        env = {**services_environment(local, metadata_database), "FORTNOX_ETL_CLIENTS": str(clients_file),
               "AIRFLOW__CORE__PARALLELISM": "1"}
        # The upkeep held back until the month-end is under way, when it falls due in the middle of it.
        with running_airflow(env, tmp_path / "airflow-processes.log", paused=(UPKEEP,)):
            api = api_session(env)

            def syncs_crowding() -> bool:
                states = [instance["state"] for instance in task_instances(api, env)
                          if instance["task_id"] == SYNC_TASK]
                return len(states) == CLIENTS and "running" in states and states.count("scheduled") >= 3

            wait_until(syncs_crowding, "one sync running and the others waiting for the slot", seconds=120)
            unpaused = api.patch(f"{api_url(env)}/api/v2/dags/{UPKEEP}", json={"is_paused": False})
            assert unpaused.status_code == 200, unpaused.text
            wait_until(lambda: month_done(api, env, clients, exporting=clients),
                       "the month, its exports and the upkeep to finish",
                       seconds=300)
            runs = dag_runs(api, env)
            instances = task_instances(api, env)
    assert sorted((run["dag_id"], run["state"]) for run in runs) == sorted(
        [(f"{prefix}{client.key}", "success") for client in clients for prefix in (SYNC_PREFIX, EXPORT_PREFIX)]
        + [(UPKEEP, "success")])
    # Syncs and exports; the upkeep confirmed every connection in one task and had none to renew one by one.
    assert sorted((instance["task_id"], instance["state"]) for instance in instances) == sorted(
        [(SYNC_TASK, "success"), (EXPORT_TASK, "success")] * CLIENTS
        + [("confirm_connections", "success"), ("renew", "skipped")])
    assert [voucher.state for outbox in outboxes for voucher in outbox.vouchers()] == [POSTED] * CLIENTS

    syncs = [instance for instance in instances if instance["task_id"] == SYNC_TASK]
    upkeep = [instance for instance in instances if instance["dag_id"] == UPKEEP and instance["state"] == "success"]
    exports = [instance for instance in instances if instance["task_id"] == EXPORT_TASK]
    overtaken = {}
    crowded = {}
    for ahead in upkeep + exports:
        waiting, before = overtaking_syncs(ahead, syncs)
        name = f"{ahead['dag_id']}.{ahead['task_id']}[{ahead['map_index']}]"
        crowded[name] = len(waiting)
        if before:
            overtaken[name] = [sync["dag_id"] for sync in before]
    assert not overtaken, f"syncs that were waiting took the slot first: {overtaken}"
    # The crowding happened: the upkeep's every task, and exports too, had syncs waiting beside them.
    assert all(crowded[f"{UPKEEP}.{instance['task_id']}[{instance['map_index']}]"] for instance in upkeep), crowded
    assert sum(crowded[f"{instance['dag_id']}.{EXPORT_TASK}[-1]"] > 0 for instance in exports) >= CLIENTS // 2, crowded
    print(f"\n{CLIENTS} clients' month-end on one slot in {time.monotonic() - started:.0f} s; "
          f"syncs waiting when each upkeep task or export became ready: {crowded}")
