"""The CeleryExecutor beyond one machine's executor: a scheduler, the API server and two Celery workers as
local processes, Redis as the broker and PostgreSQL for Airflow's metadata, the result backend and staging.
Ten clients' scheduled month runs spread over both workers; a worker killed with SIGKILL in the middle of a
sync costs its task one try, which the other worker runs: the run succeeds, staging ends as after an
uninterrupted run and the approved voucher is in Fortnox once."""
from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from airflow_services import (
    api_session,
    api_url,
    celery_environment,
    forget_redis_keys,
    redis_reachable,
    running_airflow,
    services_environment,
    wait_until,
)
from fortnox_etl.config import STAGING_CONN_ID, Client, ConnectionSettings, load_clients
from fortnox_etl.demo import DemoPaths, prepare_local_airflow, sandbox_app
from fortnox_etl.export.outbox import POSTED, Outbox
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.sandbox.faults import Fault, FaultPlan
from fortnox_etl.sandbox.generator import generate_companies
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.staging.database import create_staging_engine, staging_url
from sync_helpers import staging_snapshot

CLIENTS = 10
WORKERS = ("worker-a", "worker-b")
CLOSING_FILE = Path(__file__).resolve().parents[1] / "examples" / "closing_vouchers_acme.csv"
SYNC_PREFIX, EXPORT_PREFIX = "fortnox_sync__", "fortnox_export__"
FINISHED = ("success", "failed")


@dataclass
class Fleet:
    env: dict
    api: requests.Session
    sandbox: RunningSandbox
    clients: list[Client]
    tenants: dict[str, int]  # client key -> the sandbox tenant standing in for its Fortnox
    staging: object  # the staging engine
    workers: dict  # name -> the worker's process
    month_seconds: float  # the scheduled month, from the scheduler's start to the last run done


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, postgres_databases):
    """Ten clients with their books in a running sandbox, connected, their scheduled month (plus the export
    each sync starts and the daily token upkeep) run to its end by a scheduler and two Celery workers."""
    if reason := redis_reachable():
        print(f"\nSKIPPED: {reason}")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("celery")
    companies = generate_companies(seed=17, count=CLIENTS)
    clients_file = folder / "clients.yaml"
    clients_file.write_text("clients:\n" + "".join(
        f"  - {{key: c{i:02d}, name: {c.spec.name!r}, organisation_number: '{c.spec.organisation_number}', "
        f"fiscal_year_start_month: {c.spec.fiscal_year_start_month}}}\n" for i, c in enumerate(companies)),
        encoding="utf-8")
    clients = load_clients(clients_file)
    staging_database = postgres_databases("fortnox_etl_test")
    staging = {"conn_type": "postgres", "host": staging_database.host, "port": staging_database.port,
               "login": staging_database.username, "password": staging_database.password,
               "schema": staging_database.database}
    key_prefix = f"fortnox-etl-test-{uuid.uuid4().hex[:12]}:"
    paths = DemoPaths(airflow_home=folder / "airflow", var_dir=folder / "var", out_dir=folder / "out")
    with RunningSandbox(companies) as sandbox, contextlib.ExitStack() as cleanup:
        cleanup.callback(forget_redis_keys, key_prefix)
        local = prepare_local_airflow(sandbox_app(sandbox.base_url), clients, paths, staging)
        metadata = postgres_databases("airflow_test").render_as_string(hide_password=False)
        env = celery_environment({**services_environment(local, metadata), "FORTNOX_ETL_CLIENTS": str(clients_file)},
                                 key_prefix)
        started = time.monotonic()
        with running_airflow(env, folder / "airflow-processes.log", celery_workers=WORKERS) as workers:
            api = api_session(env)
            def month_done_while_workers_run() -> bool:
                for name, worker in workers.items():
                    assert worker.poll() is None, f"{name} stopped: {(folder / f'{name}.log').read_text()[-3000:]}"
                return month_done(api, env, clients)

            wait_until(month_done_while_workers_run, "the ten clients' month to finish", seconds=420)
            yield Fleet(env, api, sandbox, clients, {client.key: company.spec.tenant_id
                                                     for client, company in zip(clients, companies)},
                        create_staging_engine(staging_url(ConnectionSettings.from_json(STAGING_CONN_ID, staging))),
                        workers, time.monotonic() - started)


def dag_runs(api: requests.Session, env: dict) -> list[dict]:
    return api.get(f"{api_url(env)}/api/v2/dags/~/dagRuns", params={"limit": 1000}).json()["dag_runs"]


def task_instances(api: requests.Session, env: dict, dag_id: str = "~") -> list[dict]:
    return api.get(f"{api_url(env)}/api/v2/dags/{dag_id}/dagRuns/~/taskInstances",
                   params={"limit": 1000}).json()["task_instances"]


def month_done(api: requests.Session, env: dict, clients: list[Client]) -> bool:
    """Every client's sync run of the month finished, the export each successful one started finished too,
    and the token upkeep's run."""
    runs = dag_runs(api, env)
    syncs = [run for run in runs if run["dag_id"].startswith(SYNC_PREFIX)]
    exports = [run for run in runs if run["dag_id"].startswith(EXPORT_PREFIX)]
    synced = sum(run["state"] == "success" for run in syncs)
    return (len(syncs) == len(clients) and len(exports) == synced and any(run["dag_id"] == "fortnox_tokens" for run in runs)
            and all(run["state"] in FINISHED for run in runs))


def test_ten_clients_month_succeeds_with_its_tasks_spread_over_both_workers(fleet):
    runs = dag_runs(fleet.api, fleet.env)
    assert {run["dag_id"]: run["state"] for run in runs} == {
        **{f"{prefix}{client.key}": "success" for client in fleet.clients for prefix in (SYNC_PREFIX, EXPORT_PREFIX)},
        "fortnox_tokens": "success"}
    instances = task_instances(fleet.api, fleet.env)
    assert len(instances) == CLIENTS + CLIENTS + 1 + CLIENTS  # syncs, exports, the upkeep and its renewals
    assert {instance["state"] for instance in instances} == {"success"}
    ran = {name: sum(instance["hostname"] == name for instance in instances) for name in WORKERS}
    assert sum(ran.values()) == len(instances), f"every task ran on one of the workers: {ran}"
    assert min(ran.values()) >= len(instances) // 4, f"both workers took a share of the month: {ran}"
    # Which waiting task gets the next free slot: the token upkeep, then the exports, then the syncs.
    weights = {(instance["dag_id"].split("__")[0], instance["task_id"]): instance["priority_weight"]
               for instance in instances}
    assert weights["fortnox_sync", "sync_period"] == 1
    assert weights["fortnox_export", "approve_and_post_vouchers"] == 10
    assert weights["fortnox_tokens", "list_clients"] == weights["fortnox_tokens", "renew"] == 20
    for client in fleet.clients:
        assert list((Path(fleet.env["FORTNOX_ETL_OUT"]) / client.key).glob(f"{client.key}_sie4_*_per_20261130.se")), \
            f"{client.key}: the month's SIE4 file"
    queued = min(instance["queued_when"] for instance in instances)
    done = max(instance["end_date"] for instance in instances)
    print(f"\nten clients' month on two Celery workers: {fleet.month_seconds:.0f} s from the scheduler's start, "
          f"tasks per worker {ran}, first task queued {queued}, last done {done}")


def test_a_worker_killed_in_the_middle_of_a_sync_costs_a_try_run_again_on_the_other_worker(fleet):
    client = fleet.clients[3]
    sync_dag = f"{SYNC_PREFIX}{client.key}"
    uninterrupted = staging_snapshot(fleet.staging)
    outbox = Outbox(fleet.staging, client.key)
    [approved] = outbox.add(read_drafts(CLOSING_FILE), "anna")
    outbox.approve([approved], "bertil")
    # Every request of this client slow, so that its sync is surely still running when its worker dies.
    fleet.sandbox.set_faults(FaultPlan((Fault("slow", share=1.0, delay_ms=700, tenant_id=fleet.tenants[client.key]),)))
    # The month again, as an operator runs it from the trigger form.
    triggered = fleet.api.post(f"{api_url(fleet.env)}/api/v2/dags/{sync_dag}/dagRuns",
                               json={"logical_date": None, "conf": {"period": "2026-11"}})
    assert triggered.status_code == 200, triggered.text
    run_url = f"{api_url(fleet.env)}/api/v2/dags/{sync_dag}/dagRuns/{triggered.json()['dag_run_id']}"

    def sync_task() -> dict:
        return fleet.api.get(f"{run_url}/taskInstances/sync_period").json()

    def running_sync() -> dict | None:
        found = sync_task()
        return found if found["state"] == "running" and found["hostname"] else None

    killed = wait_until(running_sync, "the rerun's sync to start")
    time.sleep(1.5)  # a few requests into the sync
    os.killpg(fleet.workers[killed["hostname"]].pid, signal.SIGKILL)  # the machine is gone: worker, pool, task
    fleet.sandbox.set_faults(None)

    def rerun_done() -> bool:
        exports = [run for run in dag_runs(fleet.api, fleet.env) if run["dag_id"] == f"{EXPORT_PREFIX}{client.key}"]
        return (fleet.api.get(run_url).json()["state"] in FINISHED
                and len(exports) == 2 and all(run["state"] in FINISHED for run in exports))

    wait_until(rerun_done, "the rerun and the export it starts to finish", seconds=300)
    assert fleet.api.get(run_url).json()["state"] == "success"
    tries = fleet.api.get(f"{run_url}/taskInstances/sync_period/tries").json()["task_instances"]
    killed_try = next(t for t in tries if t["try_number"] == killed["try_number"])
    assert killed_try["hostname"] == killed["hostname"] and killed_try["state"] in ("failed", "up_for_retry"), killed_try
    [survivor] = set(WORKERS) - {killed["hostname"]}
    retried = sync_task()
    assert (retried["state"], retried["hostname"], retried["try_number"]) == (
        "success", survivor, killed["try_number"] + 1), "retried once, on the other worker"
    assert staging_snapshot(fleet.staging) == uninterrupted, "staging as after the uninterrupted run"
    assert outbox.voucher(approved).state == POSTED
    with fleet.sandbox.state.books_lock:
        booked = [v for year in fleet.sandbox.state.companies[fleet.tenants[client.key]].vouchers.values()
                  for v in year if approved in (v.get("Comments") or "")]
    assert len(booked) == 1, "the approved voucher is in Fortnox once"
    print(f"\n{killed['hostname']} killed during {client.key}'s sync (try {killed['try_number']}), "
          f"which {survivor} ran again")
