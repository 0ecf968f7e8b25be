"""Airflow itself for the tests that need its scheduler: a PostgreSQL metadata database, the API
server and the scheduler with the LocalExecutor, and the `airflow` command against them."""
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
from fortnox_etl.demo import DemoPaths, prepare_local_airflow, sandbox_app
from fortnox_etl.sandbox.generator import CompanySpec, generate_company, years_through
from fortnox_etl.sandbox.running import RunningSandbox

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
ACME = Client(key="acme", name="Acme Bygg & Montage AB", organisation_number="556677-8899")


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
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}


def api_url(env: dict) -> str:
    return f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}"


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
def running_airflow(env: dict, log_file: Path):
    """The metadata database migrated and the DAGs serialized, then the API server (with the plugins of the
    environment's plugins folder) and the scheduler."""
    airflow(env, "db", "migrate")
    airflow(env, "dags", "reserialize")
    with open(log_file, "w") as log:
        # Each service leads its own process group, so that stopping it stops its workers and tasks too.
        services = [subprocess.Popen([AIRFLOW, command], env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True) for command in ("api-server", "scheduler")]
        try:
            for _ in range(120):
                try:
                    if requests.get(f"{api_url(env)}/api/v2/monitor/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.5)
            yield
        finally:
            for service in services:
                service.terminate()
            for service in services:
                stop(service)


def stop(service: subprocess.Popen, grace_seconds: float = 20) -> None:
    """The service's process group ended: gracefully if it ends within the grace period, killed if not.
    (On SIGTERM the scheduler waits for its running tasks, and a period run may still be waiting out
    Fortnox's rate limit; nothing the test checks depends on a graceful end.)"""
    with contextlib.suppress(subprocess.TimeoutExpired):
        service.wait(timeout=grace_seconds)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(service.pid, signal.SIGKILL)
    service.wait(timeout=30)


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
