"""Airflow itself for the tests that need its scheduler: a PostgreSQL metadata database, the API
server and the scheduler with the LocalExecutor (or the CeleryExecutor and its workers), and the
`airflow` command against them."""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from fortnox_etl.config import Client
from fortnox_etl.demo import LOCAL_EXECUTOR, DemoPaths, prepare_local_airflow, sandbox_app
from fortnox_etl.sandbox.generator import Company, CompanySpec, client_file_text, generate_company, years_through
from fortnox_etl.sandbox.running import RunningSandbox
from worker_hostname import WORKER_NAME_VARIABLE

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
TESTS = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("FORTNOX_ETL_TEST_REDIS", "redis://127.0.0.1:6379/0")
ACME = Client(key="acme", name="Acme Bygg & Montage AB", organisation_number="556677-8899")
SYNC_PREFIX, EXPORT_PREFIX = "fortnox_sync__", "fortnox_export__"
SYNC_TASK, EXPORT_TASK = "sync_period", "approve_and_post_vouchers"
FINISHED = ("success", "failed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def airflow(env: dict, *args: str) -> str:
    done = subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"airflow {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


def services_environment(local: dict, metadata_database: str) -> dict:
    """`local` (prepare_local_airflow's) with the metadata database, the LocalExecutor and free ports."""
    port = free_port()
    return {**local,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_database,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_database,
            "AIRFLOW__CORE__EXECUTOR": LOCAL_EXECUTOR,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}


def celery_environment(env: dict, key_prefix: str) -> dict:
    """`env` with the CeleryExecutor: the local Redis as the broker, every key of it under `key_prefix` so
    that test runs side by side share no queue, the metadata database as the result backend, and a
    worker's task that stops heartbeating (its worker killed) failed and retried within seconds."""
    return {**env,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": key_prefix,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN']}",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "12",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
            # Side by side on one machine, each worker is told apart by the name it records for its tasks.
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_hostname.from_environment",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))}


def redis_reachable() -> str | None:
    """None if the test Redis answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {REDIS_URL} is not reachable ({error}); start it to run the CeleryExecutor tests"
    return None


def forget_redis_keys(key_prefix: str) -> None:
    import redis

    broker = redis.Redis.from_url(REDIS_URL)
    for key in broker.scan_iter(match=f"{key_prefix}*"):
        broker.delete(key)


def api_url(env: dict) -> str:
    return f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}"


def api_session(env: dict) -> requests.Session:
    session = requests.Session()
    token = requests.get(f"{api_url(env)}/auth/token", timeout=10).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def wait_until(probe, what: str, seconds: float = 300, every: float = 2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what} after {seconds:.0f} s")


def dag_runs(api: requests.Session, env: dict) -> list[dict]:
    return api.get(f"{api_url(env)}/api/v2/dags/~/dagRuns", params={"limit": 1000}).json()["dag_runs"]


def task_instances(api: requests.Session, env: dict, dag_id: str = "~") -> list[dict]:
    return api.get(f"{api_url(env)}/api/v2/dags/{dag_id}/dagRuns/~/taskInstances",
                   params={"limit": 1000}).json()["task_instances"]


def month_done(api: requests.Session, env: dict, clients: list[Client], exporting: list[Client]) -> bool:
    """Every client's sync run of the month finished, the export run each successful sync of the `exporting`
    clients (those with vouchers waiting) started finished too, and the token upkeep's run."""
    runs = dag_runs(api, env)
    syncs = [run for run in runs if run["dag_id"].startswith(SYNC_PREFIX)]
    exports = [run for run in runs if run["dag_id"].startswith(EXPORT_PREFIX)]
    started_exports = sum(run["state"] == "success" and run["dag_id"] in {f"{SYNC_PREFIX}{c.key}" for c in exporting}
                          for run in syncs)
    return (len(syncs) == len(clients) and len(exports) == started_exports
            and any(run["dag_id"] == "fortnox_tokens" for run in runs) and all(run["state"] in FINISHED for run in runs))


def with_logins(env: dict, folder: Path, users: dict[str, tuple[str, str]]) -> dict:
    """`env` with Airflow's simple auth manager knowing these users {name: (role, password)} instead of
    making everyone an admin: logins as an operator has them, so permissions are Airflow's own."""
    passwords = folder / "simple_auth_manager_passwords.json"
    passwords.write_text(json.dumps({name: password for name, (_, password) in users.items()}), encoding="utf-8")
    return {**env, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{name}:{role}" for name, (role, _) in users.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords)}


def bearer_token(env: dict, user: str, password: str) -> str:
    answer = requests.post(f"{api_url(env)}/auth/token", json={"username": user, "password": password}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


@contextlib.contextmanager
def running_airflow(env: dict, log_file: Path, celery_workers: tuple[str, ...] = (), paused: tuple[str, ...] = ()):
    """The metadata database migrated and the DAGs serialized (those named in `paused` paused before the
    scheduler sees them), then the API server (with the plugins of the environment's plugins folder) and the
    scheduler, and with the CeleryExecutor the named Celery workers (each logging to <name>.log beside
    log_file); yields the workers' processes by name. At the end it stops the workers the dictionary then
    holds: also one a test started again in a killed one's place."""
    airflow(env, "db", "migrate")
    airflow(env, "dags", "reserialize")
    for dag_id in paused:
        airflow(env, "dags", "pause", dag_id)
    with open(log_file, "w") as log:
        # Each service leads its own process group, so that stopping it stops its workers and tasks too.
        services = [subprocess.Popen([AIRFLOW, command], env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True) for command in ("api-server", "scheduler")]
        workers = {name: celery_worker(env, name, log_file.with_name(f"{name}.log")) for name in celery_workers}
        try:
            for _ in range(120):
                try:
                    if requests.get(f"{api_url(env)}/api/v2/monitor/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.5)
            yield workers
        finally:
            services += workers.values()
            for service in services:
                service.terminate()
            for service in services:
                stop(service)


def celery_worker(env: dict, name: str, log_file: Path) -> subprocess.Popen:
    """`airflow celery worker` as the machine `name` would run it: two tasks at a time, its own process group
    (killing the group is the machine going away), no log server (the tasks' logs are files here)."""
    with open(log_file, "w") as log:
        return subprocess.Popen([AIRFLOW, "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", "2",
                                 "--without-mingle", "--without-gossip", "--skip-serve-logs"],
                                env={**env, WORKER_NAME_VARIABLE: name}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def kill_machine(worker: subprocess.Popen) -> None:
    """SIGKILL a worker and every process under it, as when its machine goes away. Its process group is not all:
    Airflow's task supervisor puts each task's process in a group of its own, which would go on posting to Fortnox
    and writing staging without its worker. Each process is stopped first, so that none starts another meanwhile."""
    import psutil

    root = psutil.Process(worker.pid)
    stopped: set = set()
    while found := [process for process in [root, *root.children(recursive=True)] if process not in stopped]:
        for process in found:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.suspend()
            stopped.add(process)
    for process in stopped:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    worker.wait(timeout=30)


def stop(service: subprocess.Popen, grace_seconds: float = 20) -> None:
    """The service's process group ended: gracefully if it ends within the grace period, killed if not.
    (On SIGTERM the scheduler waits for its running tasks, and a period run may still be waiting out
    Fortnox's rate limit; nothing the test checks depends on a graceful end.)"""
    with contextlib.suppress(subprocess.TimeoutExpired):
        service.wait(timeout=grace_seconds)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(service.pid, signal.SIGKILL)
    service.wait(timeout=30)


def write_clients_file(path: Path, companies: list[Company]) -> Path:
    """The client file of generated companies, keyed c00, c01, ... in their order."""
    path.write_text(client_file_text(companies), encoding="utf-8")
    return path


@contextlib.contextmanager
def acme_for_airflow(tmp_path: Path, metadata_database: str):
    """Acme alone in the client file, its books from 2025 to the year holding today in a running sandbox (so the
    sync's own latest scheduled month succeeds beside whatever a test runs, whenever the tests run), acme
    connected; yields the sandbox, the demo-like paths under tmp_path and the environment for running_airflow."""
    company = generate_company(CompanySpec(tenant_id=1001, organisation_number=ACME.organisation_number,
                                           name=ACME.name, first_year=2025,
                                           years=years_through(2025, 1, datetime.date.today())))
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(f"clients:\n  - {{key: acme, name: {ACME.name!r}, organisation_number: "
                            f"'{ACME.organisation_number}'}}\n", encoding="utf-8")
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    with RunningSandbox([company]) as sandbox:
        local = prepare_local_airflow(sandbox_app(sandbox.base_url), [ACME], paths)
        yield sandbox, paths, {**services_environment(local, metadata_database), "FORTNOX_ETL_CLIENTS": str(clients_file)}
