"""Airflow itself for the tests that need its scheduler: a PostgreSQL metadata database, the API
server and the scheduler with the LocalExecutor, and the `airflow` command against them."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


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


@contextlib.contextmanager
def running_airflow(env: dict, log_file: Path):
    """The metadata database migrated and the DAGs serialized, then the API server and the scheduler."""
    airflow(env, "db", "migrate")
    airflow(env, "dags", "reserialize")
    with open(log_file, "w") as log:
        services = [subprocess.Popen([AIRFLOW, "api-server"], env=env, stdout=log, stderr=subprocess.STDOUT),
                    subprocess.Popen([AIRFLOW, "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT)]
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
                service.wait(timeout=60)
