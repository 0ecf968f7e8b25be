"""The CeleryExecutor beyond one machine's executor: a scheduler, the API server and two Celery workers as
local processes, Redis as the broker and PostgreSQL for Airflow's metadata, the result backend and staging.
Ten clients' scheduled month runs spread over both workers, an export only for the clients with a voucher
waiting; a worker killed with SIGKILL in the middle of a
sync costs its task one try, which the other worker runs: the run succeeds, staging ends as after an
uninterrupted run and the approved voucher is in Fortnox once. A worker killed in the middle of an export
costs a try too, and every approved voucher ends in Fortnox once. Two tasks of one client on the two workers
at once stay within Fortnox's 24 requests per 5 seconds, whose budget they share in the staging database."""
from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import json
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from airflow_services import (
    EXPORT_PREFIX,
    EXPORT_TASK,
    FINISHED,
    SYNC_PREFIX,
    SYNC_TASK,
    airflow,
    api_session,
    api_url,
    celery_environment,
    celery_worker,
    dag_runs,
    forget_redis_keys,
    kill_machine,
    month_done,
    redis_reachable,
    running_airflow,
    services_environment,
    task_instances,
    wait_until,
    write_clients_file,
)
from fortnox_etl.config import STAGING_CONN_ID, Client, ConnectionSettings, load_clients
from fortnox_etl.demo import DemoPaths, prepare_local_airflow, sandbox_app
from fortnox_etl.export.outbox import POSTED, POSTING, Draft, Outbox
from fortnox_etl.export.posting import lease_seconds
from fortnox_etl.fortnox.api import READ_TIMEOUT_VARIABLE, TIMEOUT
from fortnox_etl.fortnox.rate_limit import REQUESTS_PER_WINDOW, WINDOW_SECONDS
from fortnox_etl.export.voucher_files import read_drafts
from fortnox_etl.sandbox.faults import Fault, FaultPlan
from fortnox_etl.sandbox.generator import generate_companies
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.staging.database import create_staging_engine, staging_url
from sync_helpers import staging_snapshot

pytestmark = pytest.mark.airflow_services(seconds=450)

CLIENTS = 10
WORKERS = ("worker-a", "worker-b")
CLOSING_FILE = Path(__file__).resolve().parents[1] / "examples" / "closing_vouchers_acme.csv"
QUEUE = "default"  # Airflow's queue for every task ([operators] default_queue): both workers take from it
# The export DAG's own first retry delay (a minute) as the cap of every retry's delay ([core] max_task_retry_delay,
# Airflow's global setting; the DAG is unchanged): without it the export's exponential back-off would have the
# killed-export test wait up to four minutes more for a retry after the crashed export's lease.
MAX_RETRY_DELAY_SECONDS = 60
# The sandbox answers within a second (seven tenths with the tests' slow fault), so the tasks give up on an answer
# after 8 s instead of Fortnox's 60, and the export's lease, which outlasts a POST, is 68 s instead of two minutes:
# the killed export's first retry, a minute after its try failed, finds it run out instead of waiting another minute.
READ_TIMEOUT_SECONDS = 8
EXPORT_LEASE_SECONDS = lease_seconds((TIMEOUT[0], READ_TIMEOUT_SECONDS))
# What Fortnox's API answers the export's requests with (POST /3/vouchers and single-voucher reads aside): any other
# path in a tenant's requests is the sync's.
EXPORT_ALSO_ASKS = ("/3/companyinformation", "/3/financialyears", "/3/settings/lockedperiod", "/3/voucherseries",
                    "/3/accounts")


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
    folder: Path  # the processes' logs


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, postgres_databases):
    """Ten clients with their books in a running sandbox, connected, every other one with an approved closing
    voucher waiting; their scheduled month (plus the export a sync of those starts and the daily token upkeep)
    run to its end by a scheduler and two Celery workers."""
    if reason := redis_reachable():
        print(f"\nSKIPPED: {reason}")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("celery")
    companies = generate_companies(seed=17, count=CLIENTS)
    clients_file = write_clients_file(folder / "clients.yaml", companies)
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
        staging_engine = create_staging_engine(staging_url(ConnectionSettings.from_json(STAGING_CONN_ID, staging)))
        for client in exporting(clients):
            outbox = Outbox(staging_engine, client.key)
            outbox.approve(outbox.add(read_drafts(CLOSING_FILE), "anna"), "bertil")
        metadata = postgres_databases("airflow_test").render_as_string(hide_password=False)
        env = celery_environment({**services_environment(local, metadata), "FORTNOX_ETL_CLIENTS": str(clients_file),
                                  "AIRFLOW__CORE__MAX_TASK_RETRY_DELAY": str(MAX_RETRY_DELAY_SECONDS),
                                  READ_TIMEOUT_VARIABLE: str(READ_TIMEOUT_SECONDS)}, key_prefix)
        started = time.monotonic()
        with running_airflow(env, folder / "airflow-processes.log", celery_workers=WORKERS) as workers:
            api = api_session(env)
            def month_done_while_workers_run() -> bool:
                for name, worker in workers.items():
                    assert worker.poll() is None, f"{name} stopped: {(folder / f'{name}.log').read_text()[-3000:]}"
                return month_done(api, env, clients, exporting(clients))

            wait_until(month_done_while_workers_run, "the ten clients' month to finish", seconds=420)
            yield Fleet(env, api, sandbox, clients, {client.key: company.spec.tenant_id
                                                     for client, company in zip(clients, companies)},
                        staging_engine, workers, time.monotonic() - started, folder)


def exporting(clients: list[Client]) -> list[Client]:
    """The clients with a closing voucher approved before the month: every other one, none of those the tests
    below post for (3, 5, 7), so that each counts only its own postings."""
    return clients[::2]


@pytest.fixture
def two_workers(fleet):
    """The fleet with both workers taking tasks: a worker an earlier test killed is started again (logging to
    <name>-again.log), as a machine that came back."""
    for name, worker in list(fleet.workers.items()):
        if worker.poll() is not None:
            fleet.workers[name] = celery_worker(fleet.env, name, fleet.folder / f"{name}-again.log")
    wait_until(lambda: set(listening_workers(fleet.env)) == set(WORKERS), "both Celery workers to take tasks", seconds=120)
    return fleet


def listening_workers(env: dict) -> dict[str, str]:
    """The workers taking tasks from the queue: the name a task records (its hostname) -> Celery's name for it."""
    listed = airflow(env, "celery", "list-workers", "--output", "json")
    return {worker["worker_name"].split("@")[0]: worker["worker_name"]
            for worker in json.loads(listed[listed.index("["):]) if QUEUE in worker["queues"]}


def trigger(fleet: Fleet, dag_id: str, conf: dict | None = None) -> str:
    """A run triggered as an operator does from the trigger form; its address in the REST API."""
    triggered = fleet.api.post(f"{api_url(fleet.env)}/api/v2/dags/{dag_id}/dagRuns",
                               json={"logical_date": None, "conf": conf or {}})
    assert triggered.status_code == 200, triggered.text
    return f"{api_url(fleet.env)}/api/v2/dags/{dag_id}/dagRuns/{triggered.json()['dag_run_id']}"


def running_on_a_worker(api: requests.Session, task_url: str) -> dict | None:
    """The task instance once it runs on a worker, else None."""
    found = api.get(task_url).json()
    return found if found["state"] == "running" and found["hostname"] else None


def exports_started_by(fleet: Fleet, run_url: str) -> int:
    """How many export runs the sync run asked for: the assets it announced (one if vouchers waited)."""
    run = fleet.api.get(run_url).json()
    events = fleet.api.get(f"{api_url(fleet.env)}/api/v2/assets/events",
                           params={"source_dag_id": run["dag_id"], "source_run_id": run["dag_run_id"]})
    assert events.status_code == 200, events.text
    return events.json()["total_entries"]


def closing_vouchers(count: int, on: dt.date | None = None) -> list[Draft]:
    """The example closing voucher `count` times, each with a text of its own (the outbox takes a voucher once),
    dated as in the file or `on`."""
    [draft] = read_drafts(CLOSING_FILE)
    return [dataclasses.replace(draft, text=f"{draft.text} ({number} of {count})", date=on or draft.date)
            for number in range(1, count + 1)]


def fortnox_requests(fleet: Fleet, tenant_id: int) -> list[dict]:
    """The tenant's API requests as the sandbox saw them arrive (its admin endpoint): {"at", "method", "path"}."""
    answer = requests.get(f"{fleet.sandbox.base_url}/sandbox-admin/tenants/{tenant_id}/requests", timeout=10)
    answer.raise_for_status()
    return answer.json()["requests"]


def voucher_posts(log: list[dict]) -> list[dict]:
    return [request for request in log if (request["method"], request["path"]) == ("POST", "/3/vouchers")]


def rate_limited(fleet: Fleet, tenant_id: int) -> int:
    """How many of the tenant's requests the sandbox answered with 429, as Fortnox would have."""
    return fleet.sandbox.outcomes(tenant_id).get("rate_limited", 0)


def busiest_window(times: list[float]) -> int:
    """The most requests in any WINDOW_SECONDS (each window starting at a request)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, start + WINDOW_SECONDS) - index for index, start in enumerate(times)),
               default=0)


def times_booked(fleet: Fleet, client: Client, outbox_id: str) -> int:
    """How many vouchers in the client's Fortnox carry the outbox voucher's id."""
    with fleet.sandbox.state.books_lock:
        return sum(outbox_id in (voucher.get("Comments") or "")
                   for year in fleet.sandbox.state.companies[fleet.tenants[client.key]].vouchers.values()
                   for voucher in year)


def test_ten_clients_month_succeeds_with_its_tasks_spread_over_both_workers(fleet):
    runs = dag_runs(fleet.api, fleet.env)
    # An export only after the syncs that left a voucher waiting.
    assert {run["dag_id"]: run["state"] for run in runs} == {
        **{f"{SYNC_PREFIX}{client.key}": "success" for client in fleet.clients},
        **{f"{EXPORT_PREFIX}{client.key}": "success" for client in exporting(fleet.clients)},
        "fortnox_tokens": "success"}
    for client in exporting(fleet.clients):
        [posted] = Outbox(fleet.staging, client.key).vouchers()
        assert posted.state == POSTED and times_booked(fleet, client, posted.outbox_id) == 1, client.key
    # The upkeep confirmed every connection in one task and had none to renew one by one (skipped, on no worker).
    instances = [instance for instance in task_instances(fleet.api, fleet.env) if instance["state"] != "skipped"]
    assert sorted((instance["task_id"], instance["state"]) for instance in instances) == sorted(
        [(SYNC_TASK, "success")] * CLIENTS + [(EXPORT_TASK, "success")] * len(exporting(fleet.clients))
        + [("confirm_connections", "success")])
    ran = {name: sum(instance["hostname"] == name for instance in instances) for name in WORKERS}
    assert sum(ran.values()) == len(instances), f"every task ran on one of the workers: {ran}"
    assert min(ran.values()) >= len(instances) // 4, f"both workers took a share of the month: {ran}"
    # Which waiting task gets the next free slot: the token upkeep, then the exports, then the syncs.
    weights = {(instance["dag_id"].split("__")[0], instance["task_id"]): instance["priority_weight"]
               for instance in instances}
    assert weights["fortnox_sync", "sync_period"] == 1
    assert weights["fortnox_export", "approve_and_post_vouchers"] == 10
    assert weights["fortnox_tokens", "confirm_connections"] == 20
    for client in fleet.clients:
        assert list((Path(fleet.env["FORTNOX_ETL_OUT"]) / client.key).glob(f"{client.key}_sie4_*_per_20261130.se")), \
            f"{client.key}: the month's SIE4 file"
    queued = min(instance["queued_when"] for instance in instances)
    done = max(instance["end_date"] for instance in instances)
    print(f"\nten clients' month on two Celery workers: {fleet.month_seconds:.0f} s from the scheduler's start, "
          f"tasks per worker {ran}, first task queued {queued}, last done {done}")


def test_a_worker_killed_in_the_middle_of_a_sync_costs_a_try_run_again_on_the_other_worker(two_workers):
    fleet = two_workers
    client = fleet.clients[3]
    sync_dag = f"{SYNC_PREFIX}{client.key}"
    uninterrupted = staging_snapshot(fleet.staging)
    outbox = Outbox(fleet.staging, client.key)
    [approved] = outbox.add(read_drafts(CLOSING_FILE), "anna")
    outbox.approve([approved], "bertil")
    tenant = fleet.tenants[client.key]
    # Every request of this client slow, so that its sync is surely still running when its worker dies.
    fleet.sandbox.set_faults(FaultPlan((Fault("slow", share=1.0, delay_ms=700, tenant_id=tenant),)))
    earlier_requests = len(fortnox_requests(fleet, tenant))
    run_url = trigger(fleet, sync_dag, {"period": "2026-11"})  # the month again
    task_url = f"{run_url}/taskInstances/{SYNC_TASK}"
    killed = wait_until(lambda: running_on_a_worker(fleet.api, task_url), "the rerun's sync to start", every=0.5)
    # Killed at the sync's first request to Fortnox, before it holds a year's books lease: a sync killed holding one
    # is retried only when the lease runs out, ten minutes later (staging/books_lease.py).
    wait_until(lambda: len(fortnox_requests(fleet, tenant)) > earlier_requests, "the rerun's first request to Fortnox",
               seconds=60, every=0.05)
    kill_machine(fleet.workers[killed["hostname"]])  # the machine is gone: worker, pool, task
    fleet.sandbox.set_faults(None)

    def rerun_done() -> bool:
        exports = [run for run in dag_runs(fleet.api, fleet.env) if run["dag_id"] == f"{EXPORT_PREFIX}{client.key}"]
        # The month left nothing to post for this client: the rerun's export is its first.
        return (fleet.api.get(run_url).json()["state"] in FINISHED
                and len(exports) == 1 and all(run["state"] in FINISHED for run in exports))

    wait_until(rerun_done, "the rerun and the export it starts to finish", seconds=300)
    assert fleet.api.get(run_url).json()["state"] == "success"
    tries = fleet.api.get(f"{task_url}/tries").json()["task_instances"]
    killed_try = next(t for t in tries if t["try_number"] == killed["try_number"])
    assert killed_try["hostname"] == killed["hostname"] and killed_try["state"] in ("failed", "up_for_retry"), killed_try
    [survivor] = set(WORKERS) - {killed["hostname"]}
    retried = fleet.api.get(task_url).json()
    assert (retried["state"], retried["hostname"], retried["try_number"]) == (
        "success", survivor, killed["try_number"] + 1), "retried once, on the other worker"
    assert staging_snapshot(fleet.staging) == uninterrupted, "staging as after the uninterrupted run"
    assert outbox.voucher(approved).state == POSTED
    assert times_booked(fleet, client, approved) == 1, "the approved voucher is in Fortnox once"
    print(f"\n{killed['hostname']} killed during {client.key}'s sync (try {killed['try_number']}), "
          f"which {survivor} ran again")


def test_a_worker_killed_in_the_middle_of_an_export_costs_a_try_and_every_voucher_is_posted_once(two_workers):
    fleet = two_workers
    client = fleet.clients[5]
    tenant = fleet.tenants[client.key]
    outbox = Outbox(fleet.staging, client.key)
    approved = outbox.add(closing_vouchers(4), "anna")
    outbox.approve(approved, "bertil")
    # Every request of this client slow, so that its worker dies with vouchers still to post.
    fleet.sandbox.set_faults(FaultPlan((Fault("slow", share=1.0, delay_ms=700, tenant_id=tenant),)))
    earlier_posts = len(voucher_posts(fortnox_requests(fleet, tenant)))
    run_url = trigger(fleet, f"{EXPORT_PREFIX}{client.key}")
    task_url = f"{run_url}/taskInstances/{EXPORT_TASK}"
    killed = wait_until(lambda: running_on_a_worker(fleet.api, task_url), "the export to start", every=0.5)
    # Killed while Fortnox holds the second voucher's POST: the first voucher is booked, the second's outcome the
    # export never learns.
    wait_until(lambda: len(voucher_posts(fortnox_requests(fleet, tenant))) >= earlier_posts + 2,
               "the export's second voucher sent", seconds=120, every=0.05)
    kill_machine(fleet.workers[killed["hostname"]])  # the machine is gone: worker, pool, task
    fleet.sandbox.set_faults(None)
    sent_before_kill = voucher_posts(fortnox_requests(fleet, tenant))[earlier_posts:]
    at_kill = Counter(voucher.state for voucher in outbox.vouchers() if voucher.outbox_id in approved)
    assert len(sent_before_kill) >= 2 and at_kill[POSTED] >= 1 and at_kill[POSTING] == 1, (
        f"exactly once at stake: a voucher booked and one sent, its answer lost, when the worker died: {at_kill}")

    wait_until(lambda: fleet.api.get(run_url).json()["state"] in FINISHED, "the export to finish", seconds=420)
    assert fleet.api.get(run_url).json()["state"] == "success"
    tries = sorted(fleet.api.get(f"{task_url}/tries").json()["task_instances"], key=lambda t: t["try_number"])
    [survivor] = set(WORKERS) - {killed["hostname"]}
    killed_try = next(t for t in tries if t["try_number"] == killed["try_number"])
    assert killed_try["hostname"] == killed["hostname"] and killed_try["state"] in ("failed", "up_for_retry"), killed_try
    later = [t for t in tries if t["try_number"] > killed["try_number"]]
    assert later and {t["hostname"] for t in later} == {survivor} and later[-1]["state"] == "success", \
        f"retried on the other worker: {tries}"
    for outbox_id in approved:
        assert outbox.voucher(outbox_id).state == POSTED, outbox.voucher(outbox_id)
        assert times_booked(fleet, client, outbox_id) == 1, f"{outbox_id} is in Fortnox once"
    sent_after_kill = voucher_posts(fortnox_requests(fleet, tenant))[earlier_posts + len(sent_before_kill):]
    assert sent_after_kill[0]["at"] >= sent_before_kill[-1]["at"] + EXPORT_LEASE_SECONDS - 1, \
        "no voucher sent while the dead export's last POST could still be in Fortnox's hands"
    settled = [t["note"] for t in outbox.transitions()
               if t["to_state"] in (POSTING, POSTED) and "interrupted" in (t["note"] or "")]
    print(f"\n{killed['hostname']} killed during {client.key}'s export with {at_kill[POSTED]} of {len(approved)} "
          f"vouchers booked and one in Fortnox's hands; {len(later)} more tries on {survivor} "
          f"({[t['state'] for t in later]}), the first voucher sent again {sent_after_kill[0]['at'] - sent_before_kill[-1]['at']:.0f} s "
          f"after the last one before the kill; {settled}")


def test_two_workers_on_one_tenant_stay_within_24_requests_in_any_5_seconds(two_workers):
    fleet = two_workers
    client = fleet.clients[7]
    tenant = fleet.tenants[client.key]
    export_dag, sync_dag = f"{EXPORT_PREFIX}{client.key}", f"{SYNC_PREFIX}{client.key}"
    outbox = Outbox(fleet.staging, client.key)
    # Two requests a voucher (its series' next number, then the POST): at 24 in 5 s more than a minute of posting, so
    # that the sync, started on the other worker after the export (half a minute on a busy machine), runs beside it.
    # Dated in the month synced: in an earlier year they would break the year's opening balances and fail the sync.
    outbox.approve(outbox.add(closing_vouchers(160, on=dt.date(2026, 11, 30)), "anna"), "bertil")
    refused_before, started = rate_limited(fleet, tenant), time.time()

    export_url = trigger(fleet, export_dag)
    export = wait_until(lambda: running_on_a_worker(fleet.api, f"{export_url}/taskInstances/{EXPORT_TASK}"),
                        "the export to start", every=0.5)
    # The month's sync again, on the other worker: the export's worker stops taking tasks until the sync's started.
    busy = listening_workers(fleet.env)[export["hostname"]]
    airflow(fleet.env, "celery", "remove-queue", "--celery-hostname", busy, "--queues", QUEUE)
    try:
        wait_until(lambda: export["hostname"] not in listening_workers(fleet.env), "the export's worker to stop taking tasks")
        sync_url = trigger(fleet, sync_dag, {"period": "2026-11"})
        sync = wait_until(lambda: running_on_a_worker(fleet.api, f"{sync_url}/taskInstances/{SYNC_TASK}"),
                             "the sync to start", every=0.5)
    finally:
        airflow(fleet.env, "celery", "add-queue", "--celery-hostname", busy, "--queues", QUEUE)

    def client_runs_done() -> bool:
        sync_state = fleet.api.get(sync_url).json()["state"]
        exports = [run for run in dag_runs(fleet.api, fleet.env) if run["dag_id"] == export_dag]
        # This one, and the one the sync starts if vouchers still waited when it ended.
        return (sync_state in FINISHED and len(exports) == 1 + exports_started_by(fleet, sync_url)
                and all(run["state"] in FINISHED for run in exports))

    wait_until(client_runs_done, "the client's sync and exports to finish", seconds=300)
    export = fleet.api.get(f"{export_url}/taskInstances/{EXPORT_TASK}").json()
    sync = fleet.api.get(f"{sync_url}/taskInstances/{SYNC_TASK}").json()
    assert (export["state"], sync["state"]) == ("success", "success"), (export, sync)
    assert export["hostname"] != sync["hostname"], "the two tasks ran on different workers"
    export_span, sync_span = ((dt.datetime.fromisoformat(ti["start_date"]), dt.datetime.fromisoformat(ti["end_date"]))
                                 for ti in (export, sync))
    assert max(export_span[0], sync_span[0]) < min(export_span[1], sync_span[1]), "the two tasks ran at once"

    log = [request for request in fortnox_requests(fleet, tenant) if request["at"] >= started]
    assert rate_limited(fleet, tenant) == refused_before, "Fortnox answered none of the client's requests with 429"
    busiest = busiest_window([request["at"] for request in log])
    assert busiest <= REQUESTS_PER_WINDOW, f"{busiest} requests in 5 seconds; Fortnox allows {REQUESTS_PER_WINDOW}"
    # The load: the export alone fills the budget, and the sync's requests come while the export still posts.
    sync_started = sync_span[0].timestamp()
    export_alone = busiest_window([request["at"] for request in log if request["at"] < sync_started])
    posts = voucher_posts(log)
    sync_beside_export = [request for request in log if posts[0]["at"] < request["at"] < posts[-1]["at"]
                          and request["path"] not in EXPORT_ALSO_ASKS and not request["path"].startswith("/3/vouchers/")
                          and request not in posts]
    assert export_alone == REQUESTS_PER_WINDOW, f"the export alone held at the budget: at most {export_alone} in 5 s"
    assert len(sync_beside_export) >= 10, f"the sync's requests while the export posted: {sync_beside_export}"
    seconds = log[-1]["at"] - log[0]["at"]
    print(f"\n{client.key}: the export on {export['hostname']} and the sync on {sync['hostname']}: "
          f"{len(log)} requests in {seconds:.0f} s ({len(log) / seconds * WINDOW_SECONDS:.1f} per 5 s), "
          f"{len(posts)} vouchers posted, {len(sync_beside_export)} of the sync's requests among the export's; "
          f"busiest 5 s: {busiest} (the export alone: {export_alone}); sync run "
          f"{fleet.api.get(sync_url).json()['state']}")
