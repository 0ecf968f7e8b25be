"""A bureau's month-end through a real Airflow: N clients' scheduled month, measured (issue 17).

`python bench/fleet.py --clients N --executor local|celery` (default 100 clients, the LocalExecutor).

What runs: N generated clients, each its own Fortnox tenant, sizes mixed as a bureau's are (every
`--medium-every`-th client an M company of about 5,000 vouchers a year, the rest S of about 200), served
by a Fortnox sandbox (rate limit on) in a process of its own, so that its CPU is kept out of the figures;
all of them connected, and every `--exporting-every`-th (default 10th) with a closing voucher approved in its
outbox, dated the month's last day, as a bureau's month-end has a few to post. Airflow as `make up` runs it (src/fortnox_etl/local_deployment): metadata and
staging on PostgreSQL in databases made afresh at each run, the scheduler, the DAG processor and the API
server; with `--executor celery` the CeleryExecutor and two `airflow celery worker` processes (Redis at
127.0.0.1:6379 as broker, the metadata database as result backend). The clients' DAGs are unpaused upon
creation: the scheduler makes each sync DAG's latest scheduled month, each successful sync of a client with a
voucher waiting triggers the client's export, and the daily token upkeep runs once. The bench waits for all of them.

Figures (out/bench/fleet.json) and how each is taken:
- `seconds`: from the first task instance queued to the last one ended (queued_dttm, end_date of every
  task instance in Airflow's metadata database, read after the run).
- `airflow_core_seconds`, `task_core_seconds`: CPU (user + system) of the process trees the bench started
  for Airflow (scheduler with its executor workers, DAG processor, API server, Celery workers), from the
  moment the API server answers to the last task's end. Read from /proc through psutil: each process
  alive at the end counts its own CPU plus that of the children it has reaped (the kernel adds a reaped
  child's CPU to its parent's), less what it had at the start. Task processes are the children the
  executors' supervisors fork (LocalExecutor worker processes, Celery's pool processes): the supervisors'
  reaped-children CPU is `task_core_seconds`; everything else, supervisors' own CPU included, is Airflow's.
  Limits: a supervisor that ends during the run hands its tasks' CPU to its parent (counted as Airflow's:
  the bench says so when it happens); a process that leaves the trees without being reaped inside them is
  not counted; PostgreSQL's and Redis's own CPU is not counted at all (servers shared with the machine).
- `baseline_core_seconds`: the same steps for the same clients (the sync, the export where a voucher waits,
  the token upkeep; the package's functions called as the tasks call them) in one plain Python process
  without Airflow, against the same sandbox and a fresh staging database: that process's CPU from
  getrusage of the waited child, interpreter start and imports included (paid once, not per task).
- `overhead_core_seconds`: airflow + task - baseline, all that running the work through Airflow adds.
- `requests`: the Fortnox requests of the Airflow run, counted by the sandbox (its /sandbox-admin/requests),
  connecting the clients excluded; `baseline_requests` the same for the baseline.
- `peak_rss_mb`: the largest sum of resident memory over every process of the Airflow trees (sampled every
  half second; pages shared between forked processes are counted in each, so it overstates; a task shorter
  than the interval can be missed); `largest_rss_mb` the largest single process.
- `projected_minutes_1000`: linear from the measured wall time, seconds / clients x 1,000 clients;
  `cpu_minutes_1000_on_2_cores` the floor the CPU sets: (airflow + task core-seconds) / clients x 1,000 / 2
  cores, the time 1,000 clients would take if they kept both cores busy and nothing else ran.
Targets (issue 17): the projection under 20 minutes on this 2-core machine, and Airflow's share, the
overhead, no larger than the work itself (the baseline). On a machine shared with other work every
figure is noisy; the core-seconds less so than the wall time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil
import requests
import yaml
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import write_figures  # noqa: E402

from fortnox_etl.config import PROJECT_ROOT, load_clients  # noqa: E402
from fortnox_etl.demo import LOCAL_EXECUTOR, DemoPaths, prepare_local_airflow, run_airflow, sandbox_app  # noqa: E402
from fortnox_etl.local_deployment import databases, services, up  # noqa: E402
from fortnox_etl.period import SWEDISH_TIME, period_for_run  # noqa: E402

WORK_DIR = PROJECT_ROOT / "var" / "bench" / "fleet"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
TARGET_MINUTES_1000 = 20
CLOSING_FILE = PROJECT_ROOT / "examples" / "closing_vouchers_acme.csv"
CELERY_WORKERS = 2
SAMPLE_SECONDS = 0.5
COMPOSE_ENVIRONMENT = yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())["x-airflow"]["environment"]


# --- the sandbox, in a process of its own ---

def serve_sandbox(args: argparse.Namespace) -> None:
    """The sandbox mode of this script: the fleet's companies generated and served until killed; the clients
    file written once the port listens (the bench waits for it)."""
    import uvicorn

    from fortnox_etl.sandbox.faults import SandboxGateway
    from fortnox_etl.sandbox.generator import client_file_text, generate_companies, generate_company
    from fortnox_etl.sandbox.ratelimit import SlidingWindowRateLimit
    from fortnox_etl.sandbox.server import create_app

    companies = [generate_company(replace(company.spec, size="M")) if index % args.medium_every == 0 else company
                 for index, company in enumerate(generate_companies(seed=17, count=args.clients))]
    app = create_app(companies)
    gateway = SandboxGateway(app, app.state.sandbox, SlidingWindowRateLimit())
    config = uvicorn.Config(gateway, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit(f"the sandbox could not listen on port {args.port}")
        time.sleep(0.05)
    clients_file = Path(args.serve_sandbox)
    clients_file.with_suffix(".part").write_text(client_file_text(companies, key_digits=4), encoding="utf-8")
    clients_file.with_suffix(".part").rename(clients_file)
    thread.join()


def sandbox_requests(base_url: str) -> int:
    """Every request the sandbox has answered so far, all tenants (429s included)."""
    counts = requests.get(f"{base_url}/sandbox-admin/requests", timeout=30).json()["requests"]
    return sum(sum(paths.values()) for paths in counts.values())


# --- the baseline: the same steps in one plain process ---

class _Period:
    """Where the sync task hands on its period (Airflow's XCom)."""

    def xcom_push(self, key: str, value: object) -> None:
        pass


def run_baseline(args: argparse.Namespace) -> None:
    """The baseline mode of this script: each client's sync and export (if a voucher waits), one after another,
    then the token upkeep of them all, as the tasks call them (airflow_support.SyncPeriod, VoucherExportOperator,
    confirm_connections_of)."""
    from fortnox_etl.config import ConnectionSettings
    from fortnox_etl.connections.token_upkeep import confirm_every_connection
    from fortnox_etl.export import posting
    from fortnox_etl.export.outbox import Outbox
    from fortnox_etl.fortnox.client_context import ClientContext
    from fortnox_etl.period_end import client_steps
    from fortnox_etl.period_end.checks import PeriodChecksFailed
    from fortnox_etl.staging.database import create_schema

    clients = load_clients(Path(args.baseline))
    first = ClientContext.create(clients[0], ConnectionSettings.from_env)
    create_schema(first.engine)  # as the token upkeep's first task does
    for client in clients:
        ctx = ClientContext.create(client, ConnectionSettings.from_env)
        context = {"params": {"period": args.period}, "data_interval_start": None, "dag_run": None, "ti": _Period(),
                   "run_id": f"baseline__{args.period}"}
        try:
            client_steps.sync_period(ctx, context)
        except PeriodChecksFailed:
            pass  # the task fails in Airflow too, and the client's export does not run
        else:
            if Outbox(ctx.engine, client.key).waiting_for_export():
                posting.export_approved(ctx)
        ctx.engine.dispose()
    confirm_every_connection(first, clients)
    first.engine.dispose()


def exporting_clients(clients: list, every: int) -> list:
    """The clients with a closing voucher to post: every `every`-th, counted from the second (an S company)."""
    return clients[1::every]


def approve_closing_vouchers(staging: dict, clients: list, period: str) -> None:
    """Each client's closing voucher (the example file's), dated the period's last day, added and approved."""
    from fortnox_etl.config import STAGING_CONN_ID, ConnectionSettings
    from fortnox_etl.export.outbox import Outbox
    from fortnox_etl.export.voucher_files import read_drafts
    from fortnox_etl.period import Period
    from fortnox_etl.staging.database import create_staging_engine, staging_url

    engine = create_staging_engine(staging_url(ConnectionSettings.from_json(STAGING_CONN_ID, staging)))
    try:
        last_day = Period.parse(period).last_day
        for client in clients:
            outbox = Outbox(engine, client.key)
            outbox.approve(outbox.add([replace(draft, date=last_day) for draft in read_drafts(CLOSING_FILE)],
                                      "fleet benchmark"), "fleet benchmark")
    finally:
        engine.dispose()


def baseline(clients_file: Path, period: str, base_url: str, paths: DemoPaths, exporting_every: int) -> dict:
    """The baseline run in a child process, against a fresh staging database with the clients connected anew."""
    chosen = databases.choose(paths)
    clients = load_clients(clients_file)
    env = prepare_local_airflow(sandbox_app(base_url), clients, paths, chosen.staging)
    approve_closing_vouchers(chosen.staging, exporting_clients(clients, exporting_every), period)
    before_requests = sandbox_requests(base_url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--baseline", str(clients_file), "--period", period],
                   env={**env, "FORTNOX_ETL_CLIENTS": str(clients_file)}, check=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    core = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "core_seconds": core, "requests": sandbox_requests(base_url) - before_requests}


# --- CPU and memory of Airflow's process trees ---

@dataclass
class Snapshot:
    """CPU seconds per live process (pid, start time) of the trees: its own and its reaped children's."""
    own: dict[tuple[int, float], float] = field(default_factory=dict)
    reaped: dict[tuple[int, float], float] = field(default_factory=dict)
    supervisors: set[tuple[int, float]] = field(default_factory=set)
    tasks: set[tuple[int, float]] = field(default_factory=set)


class ProcessTrees:
    """The process trees of Airflow's services, read from /proc (psutil). A supervisor is a process that forks
    task processes: the LocalExecutor's worker processes (in the scheduler's tree) and Celery's pool
    processes (children of an `airflow celery worker`); their children are task processes."""

    def __init__(self, roots: dict[str, subprocess.Popen]) -> None:
        self.roots = roots
        self.peak_rss = 0
        self.largest_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def snapshot(self) -> Snapshot:
        snapshot = Snapshot()
        parents: dict[tuple[int, float], int] = {}
        for name, root in self.roots.items():
            with contextlib.suppress(psutil.Error):
                top = psutil.Process(root.pid)
                for process in [top, *top.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error), process.oneshot():
                        key = (process.pid, process.create_time())
                        times = process.cpu_times()
                        snapshot.own[key] = times.user + times.system
                        snapshot.reaped[key] = times.children_user + times.children_system
                        parents[key] = process.ppid()
                        if self._is_supervisor(name, top, process):
                            snapshot.supervisors.add(key)
        supervisor_pids = {pid for pid, _ in snapshot.supervisors}
        snapshot.tasks = {key for key, parent in parents.items() if parent in supervisor_pids}
        return snapshot

    @staticmethod
    def _is_supervisor(service: str, top: psutil.Process, process: psutil.Process) -> bool:
        if service == "scheduler":  # forked by the scheduler, or by its forkserver ([core] mp_start_method)
            return "LocalExecutor" in " ".join(process.cmdline())
        return service.startswith("celery-worker") and process.ppid() == top.pid

    def peak(self) -> None:
        total, largest = 0, 0
        for root in self.roots.values():
            with contextlib.suppress(psutil.Error):
                top = psutil.Process(root.pid)
                for process in [top, *top.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        rss = process.memory_info().rss
                        total += rss
                        largest = max(largest, rss)
        self.peak_rss = max(self.peak_rss, total)
        self.largest_rss = max(self.largest_rss, largest)

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak()

    def __enter__(self) -> ProcessTrees:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def core_seconds(start: Snapshot, end: Snapshot) -> tuple[float, float, int]:
    """(Airflow's, the tasks') CPU seconds between two snapshots, and how many supervisors ended between them."""
    airflow = tasks = 0.0
    for key, own in end.own.items():
        own_delta = own - start.own.get(key, 0.0)
        reaped_delta = end.reaped[key] - start.reaped.get(key, 0.0)
        if key in end.tasks:
            tasks += own_delta + reaped_delta
        elif key in end.supervisors:
            airflow += own_delta
            tasks += reaped_delta
        else:
            airflow += own_delta + reaped_delta
    return airflow, tasks, len(start.supervisors - end.supervisors)


# --- the run ---

def celery_settings(chosen: databases.Databases, parallelism: int) -> dict[str, str]:
    backend = make_url(chosen.metadata_url).set(drivername="postgresql+psycopg")
    return {"AIRFLOW__CELERY__BROKER_URL": os.environ.get("FLEET_CELERY_BROKER", "redis://127.0.0.1:6379/7"),
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + backend.render_as_string(hide_password=False),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(max(1, parallelism // CELERY_WORKERS))}


def metadata_rows(url: str, query: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(query)))
    finally:
        engine.dispose()


def scheduled_month():
    """The month the sync DAGs' scheduler makes a run of: the last whole month in Swedish time, as a run without
    a period or data interval takes it."""
    return period_for_run(None, None, dt.datetime.now(SWEDISH_TIME).date())


def wait_for_the_month(url: str, clients: int, exporting: list, timeout: float) -> list:
    """Every client's sync run ended, the export each successful sync of an `exporting` client started, and the
    token upkeep too; the dag runs."""
    export_after = {f"fortnox_sync__{client.key}" for client in exporting}
    deadline = time.monotonic() + timeout
    said = ""
    while time.monotonic() < deadline:
        runs = metadata_rows(url, "SELECT dag_id, state, data_interval_start FROM dag_run")
        syncs = [run for run in runs if run.dag_id.startswith("fortnox_sync__")]
        exports = [run for run in runs if run.dag_id.startswith("fortnox_export__")]
        ended = [run for run in runs if run.state in ("success", "failed")]
        progress = (f"  {sum(r.state in ('success', 'failed') for r in syncs)}/{clients} syncs ended, "
                    f"{sum(r.state in ('success', 'failed') for r in exports)} exports, {len(runs)} runs in all")
        if progress != said:
            print(progress, flush=True)
            said = progress
        if (len(syncs) == clients and len(ended) == len(runs)
                and len(exports) == sum(run.state == "success" and run.dag_id in export_after for run in syncs)
                and any(run.dag_id == "fortnox_tokens" for run in runs)):
            return runs
        time.sleep(2)
    raise SystemExit(f"the month was not done within {timeout:.0f} s ({said.strip()}); see the logs in "
                     f"{services.log_dir(DemoPaths(var_dir=WORK_DIR / 'var'))}")


def task_figures(url: str) -> dict:
    rows = metadata_rows(url, "SELECT dag_id, state, queued_dttm, start_date, end_date FROM task_instance")
    queued = [row.queued_dttm for row in rows if row.queued_dttm]
    ended = [row.end_date for row in rows if row.end_date]
    waits = [(row.start_date - row.queued_dttm).total_seconds() for row in rows if row.start_date and row.queued_dttm]
    durations = [(row.end_date - row.start_date).total_seconds() for row in rows if row.start_date and row.end_date]
    states: dict[str, int] = {}
    for row in rows:
        states[row.state] = states.get(row.state, 0) + 1
    return {"seconds": (max(ended) - min(queued)).total_seconds(), "tasks": len(rows), "task_states": states,
            "median_queue_wait_seconds": round(statistics.median(waits), 2),
            "median_task_seconds": round(statistics.median(durations), 2)}


def run_fleet(args: argparse.Namespace) -> dict:
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    paths = DemoPaths(airflow_home=WORK_DIR / "airflow", var_dir=WORK_DIR / "var", out_dir=WORK_DIR / "out")
    paths.var_dir.mkdir(parents=True)
    clients_file = WORK_DIR / "clients.yaml"
    sandbox_port = up.free_port()
    base_url = f"http://127.0.0.1:{sandbox_port}"
    print(f"fleet: {args.clients} clients (every {args.medium_every}th an M company), executor {args.executor}, "
          f"parallelism {args.parallelism}; generating their books in the sandbox's own process ...", flush=True)
    # Recorded apart from Airflow's services: it outlives them, for the baseline.
    sandbox_paths = DemoPaths(airflow_home=WORK_DIR / "airflow", var_dir=WORK_DIR / "sandbox")
    sandbox_paths.var_dir.mkdir(parents=True)
    sandbox = services.start(sandbox_paths, "fortnox-sandbox",
                             [sys.executable, __file__, "--serve-sandbox", str(clients_file), "--port", str(sandbox_port),
                              "--clients", str(args.clients), "--medium-every", str(args.medium_every)], dict(os.environ))
    try:
        run = airflow_run(args, paths, sandbox_paths, sandbox, base_url, clients_file)
        print(f"Airflow done; the baseline: the same {run['clients']} clients' steps in one plain process ...",
              flush=True)
        base_paths = DemoPaths(airflow_home=WORK_DIR / "baseline", var_dir=WORK_DIR / "baseline" / "var",
                               out_dir=WORK_DIR / "baseline" / "out")
        plain = baseline(clients_file, run["period"], base_url, base_paths, args.exporting_every)
    finally:
        services.stop_all(sandbox_paths, grace_seconds=5)
    return {**run, "baseline_core_seconds": round(plain["core_seconds"], 1),
            # Less noisy than the wall time on a shared machine: the run's CPU alone, on two cores kept busy.
            "cpu_minutes_1000_on_2_cores": round((run["airflow_core_seconds"] + run["task_core_seconds"])
                                                 / run["clients"] * 1000 / 2 / 60, 1),
            "baseline_seconds": round(plain["seconds"], 1), "baseline_requests": plain["requests"],
            "overhead_core_seconds": round(run["airflow_core_seconds"] + run["task_core_seconds"]
                                           - plain["core_seconds"], 1)}


def airflow_run(args: argparse.Namespace, paths: DemoPaths, sandbox_paths: DemoPaths, sandbox: subprocess.Popen,
                base_url: str, clients_file: Path) -> dict:
    """The month through Airflow, measured; its services stopped at the end."""
    try:
        up.wait_for("the Fortnox sandbox", base_url + "/", sandbox, 60 + args.clients * 2, sandbox_paths)
        while not clients_file.exists():
            time.sleep(0.2)
        clients = load_clients(clients_file)
        chosen = databases.choose(paths)
        if chosen.staging is None:
            raise SystemExit("the fleet benchmark needs PostgreSQL (set FORTNOX_ETL_POSTGRES to its address)")
        print(f"{chosen.description}; connecting {len(clients)} clients through the sandbox's consent page", flush=True)
        local = prepare_local_airflow(sandbox_app(base_url), clients, paths, chosen.staging)
        exporting = exporting_clients(clients, args.exporting_every)
        approve_closing_vouchers(chosen.staging, exporting, str(scheduled_month()))
        executor = {"local": LOCAL_EXECUTOR, "celery": "CeleryExecutor"}[args.executor]
        env = {**up.services_environment(local, chosen, executor),
               "AIRFLOW__CORE__PARALLELISM": str(args.parallelism), "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
               "FORTNOX_ETL_CLIENTS": str(clients_file),
               # As docker-compose.yaml parses the clients' DAG files: every 5 minutes, not every 30 seconds.
               "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": COMPOSE_ENVIRONMENT[
                   "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL"]}
        if args.executor == "celery":
            env.update(celery_settings(chosen, args.parallelism))
        run_airflow(env, "db", "migrate")
        roots = {name: services.start(paths, name, [AIRFLOW, name], env)
                 for name in ("api-server", "scheduler", "dag-processor")}
        if args.executor == "celery":
            for number in range(1, CELERY_WORKERS + 1):
                roots[f"celery-worker-{number}"] = services.start(
                    paths, f"celery-worker-{number}", [AIRFLOW, "celery", "worker", "--celery-hostname",
                                                       f"fleet{number}@%h", "--skip-serve-logs"], env)
        up.wait_for("Airflow's API server", f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}/api/v2/monitor/health",
                    roots["api-server"], up.UI_START_TIMEOUT_SECONDS, paths)
        connect_requests = sandbox_requests(base_url)
        trees = ProcessTrees(roots)
        start = trees.snapshot()
        print("Airflow is up; the clients' DAGs are unpaused: waiting for the month ...", flush=True)
        with trees:
            runs = wait_for_the_month(chosen.metadata_url, len(clients), exporting,
                                      args.timeout or 300 + 20 * len(clients))
            end = trees.snapshot()
        airflow_core, task_core, supervisors_ended = core_seconds(start, end)
        fleet_requests = sandbox_requests(base_url) - connect_requests
        sandbox_cpu = psutil.Process(sandbox.pid).cpu_times()
        figures = task_figures(chosen.metadata_url)
        period = next(run.data_interval_start for run in runs if run.dag_id.startswith("fortnox_sync__"))
    finally:
        services.stop_all(paths, grace_seconds=5)
    seconds = figures.pop("seconds")
    return {
        "clients": len(clients), "medium_clients": sum(1 for i in range(len(clients)) if i % args.medium_every == 0),
        "exporting_clients": len(exporting),
        "executor": args.executor, "parallelism": args.parallelism,
        "period": period.astimezone(SWEDISH_TIME).strftime("%Y-%m"),
        "seconds": round(seconds, 1), **figures,
        "failed_runs": sorted(f"{run.dag_id} {run.state}" for run in runs if run.state != "success"),
        "airflow_core_seconds": round(airflow_core, 1), "task_core_seconds": round(task_core, 1),
        "supervisors_ended_during_run": supervisors_ended,
        "sandbox_core_seconds_excluded": round(sandbox_cpu.user + sandbox_cpu.system, 1),
        "requests": fleet_requests,
        "peak_rss_mb": round(trees.peak_rss / 2**20), "largest_rss_mb": round(trees.largest_rss / 2**20),
        "projected_minutes_1000": round(seconds / len(clients) * 1000 / 60, 1),
        "target_minutes_1000": TARGET_MINUTES_1000,
    }


def report(figures: dict) -> None:
    f = figures
    print(f"\nFleet month-end: {f['clients']} clients ({f['medium_clients']} M, the rest S; "
          f"{f['exporting_clients']} with a voucher to post), period {f['period']}, "
          f"{f['executor']} executor, parallelism {f['parallelism']}")
    print(f"  {f['tasks']} task instances ({', '.join(f'{n} {s}' for s, n in sorted(f['task_states'].items()))}); "
          f"runs not successful: {', '.join(f['failed_runs']) or 'none'}")
    print(f"  first task queued to last task done: {f['seconds']:.1f} s (median wait in the queue "
          f"{f['median_queue_wait_seconds']} s, median task {f['median_task_seconds']} s)")
    print(f"  core-seconds: Airflow's processes {f['airflow_core_seconds']}, the task processes "
          f"{f['task_core_seconds']}; the same work in one plain process {f['baseline_core_seconds']} "
          f"({f['baseline_seconds']} s); Airflow adds {f['overhead_core_seconds']} "
          f"(the sandbox's {f['sandbox_core_seconds_excluded']} left out)")
    if f["supervisors_ended_during_run"]:
        print(f"  ({f['supervisors_ended_during_run']} executor worker(s) ended during the run: their tasks' CPU "
              "is counted as Airflow's)")
    print(f"  Fortnox requests: {f['requests']:,} (the plain process: {f['baseline_requests']:,})")
    print(f"  peak memory: {f['peak_rss_mb']:,} MB summed over Airflow's and the tasks' processes, "
          f"{f['largest_rss_mb']} MB the largest one")
    print(f"  1,000 clients, linear from this run: {f['projected_minutes_1000']} minutes (target under "
          f"{TARGET_MINUTES_1000}): {'met' if f['projected_minutes_1000'] < TARGET_MINUTES_1000 else 'NOT met'}; "
          f"their CPU alone would keep 2 cores busy {f['cpu_minutes_1000_on_2_cores']} minutes")
    print(f"  Airflow's share no larger than the work: {f['overhead_core_seconds']} core-seconds added to "
          f"{f['baseline_core_seconds']}: "
          f"{'met' if f['overhead_core_seconds'] <= f['baseline_core_seconds'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--executor", choices=("local", "celery"), default="local")
    parser.add_argument("--parallelism", type=int, default=4, help="Airflow's core.parallelism (make up's: 4)")
    parser.add_argument("--medium-every", type=int, default=10, metavar="K", help="every K-th client an M company")
    parser.add_argument("--exporting-every", type=int, default=10, metavar="K",
                        help="every K-th client with a closing voucher to post")
    parser.add_argument("--timeout", type=float, help="seconds to wait for the month (default 300 + 20 per client)")
    parser.add_argument("--serve-sandbox", metavar="CLIENTS_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", metavar="CLIENTS_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--period", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sandbox:
        serve_sandbox(args)
    elif args.baseline:
        run_baseline(args)
    else:
        figures = run_fleet(args)
        report(figures)
        print(f"  figures: {write_figures('fleet', figures)}")


if __name__ == "__main__":
    main()
