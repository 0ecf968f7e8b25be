"""`make up` and `make down`: a local deployment an operator can click through. The Fortnox sandbox with the
clients of the client file, connected; Airflow's API server (the UI) on a free port, scheduler, DAG processor
and triggerer with the LocalExecutor; real logins (Airflow's simple auth manager, named users with passwords
Airflow generates); the connections in Airflow's metadata database, where the UI edits them."""
from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from fortnox_etl.config import DEFAULT_CLIENTS_FILE, load_clients
from fortnox_etl.demo import (
    LOCAL_EXECUTOR,
    DemoPaths,
    airflow_settings,
    local_connections,
    prepare_local_airflow,
    run_airflow,
    sandbox_app,
    token_key,
)
from fortnox_etl.local_deployment import airflow_home, databases, services

UI_START_TIMEOUT_SECONDS = 180
SANDBOX_START_TIMEOUT_SECONDS = 60
USERS_VARIABLE = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"
# Roles of Airflow's simple auth manager: viewer looks, user also runs DAGs and approves, op, admin manages all.
DEFAULT_USERS = "operator:admin,viewer:viewer"
AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
SANDBOX = "fortnox-sandbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def up(paths: DemoPaths = DemoPaths(), sqlite: bool = False) -> None:
    if services.running(paths):
        print("make up is already running here (make down stops it):", flush=True)
        _print_how_to_use(paths, services.recorded(paths)[1])
        return
    services.stop_all(paths, grace_seconds=0)  # what is left of a deployment that died: its record
    started = time.monotonic()
    try:
        details = _start(paths, sqlite)
    except BaseException:
        stopped = services.stop_all(paths)
        print(f"make up did not finish; stopped what it had started ({', '.join(stopped) or 'nothing'}). The services' "
              f"logs are in {services.log_dir(paths)}", file=sys.stderr, flush=True)
        raise
    print(f"\nUp in {time.monotonic() - started:.0f} s.", flush=True)
    _print_how_to_use(paths, details)


def down(paths: DemoPaths = DemoPaths()) -> None:
    stopped = services.stop_all(paths)
    print(f"stopped {', '.join(stopped)}" if stopped else "nothing of make up is running in this checkout")


def _start(paths: DemoPaths, sqlite: bool) -> dict:
    clients_file = Path(os.environ.get("FORTNOX_ETL_CLIENTS") or DEFAULT_CLIENTS_FILE)
    clients = load_clients(clients_file)
    paths.var_dir.mkdir(parents=True, exist_ok=True)
    chosen = databases.choose(paths, sqlite)
    print(chosen.description, flush=True)

    sandbox_port = free_port()
    sandbox = services.start(paths, SANDBOX, [_command("fortnox-etl"), "sandbox", "serve", "--port", str(sandbox_port),
                                              "--clients", str(clients_file)], dict(os.environ))
    base_url = f"http://127.0.0.1:{sandbox_port}"
    wait_for(f"the Fortnox sandbox at {base_url}", base_url + "/", sandbox, SANDBOX_START_TIMEOUT_SECONDS, paths)
    print(f"Fortnox sandbox at {base_url}; connecting {', '.join(c.key for c in clients)} through its consent page",
          flush=True)
    app = sandbox_app(base_url)
    prepare_local_airflow(app, clients, paths, chosen.staging)  # the staging schema, the clients' tokens

    env = {
        **services_environment(_without_connections(airflow_settings(token_key(paths), paths)), chosen),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        USERS_VARIABLE: os.environ.get(USERS_VARIABLE) or DEFAULT_USERS,
        "FORTNOX_ETL_CLIENTS": str(clients_file),
    }
    port = env["AIRFLOW__API__PORT"]
    airflow_home.write_airflow_cfg(env)
    run_airflow(env, "db", "migrate")
    airflow_home.store_connections(env, local_connections(app, paths, chosen.staging))

    airflow = _command("airflow")
    started = {name: services.start(paths, name, [airflow, name], env) for name in AIRFLOW_SERVICES}
    ui = f"http://127.0.0.1:{port}/"
    wait_for("Airflow's API server", ui + "api/v2/monitor/health", started["api-server"], UI_START_TIMEOUT_SECONDS,
              paths)
    details = {"ui": ui, "users": _users(env), "databases": chosen.description, "sandbox": base_url}
    services.record_details(paths, **details)
    return details


def services_environment(settings: dict[str, str], chosen: databases.Databases,
                         executor: str = LOCAL_EXECUTOR) -> dict[str, str]:
    """Airflow's settings (airflow_settings') for running its services as processes of their own: the chosen
    databases, the executor, the API server on a free port (the tasks' Execution API with it), a signing secret,
    a Fernet key, the log servers on free ports. `make up` and bench/fleet.py start their services with it."""
    port = free_port()
    return {
        **settings,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": chosen.metadata_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": chosen.metadata_async_url,
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),  # the connections' passwords, encrypted
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }


def _command(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _without_connections(env: dict[str, str]) -> dict[str, str]:
    """The environment without AIRFLOW_CONN_ variables: they would hide the UI's edits of the stored connections."""
    return {name: value for name, value in env.items() if not name.startswith("AIRFLOW_CONN_")}


def wait_for(what: str, url: str, process, timeout: float, paths: DemoPaths) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} ended at its start (exit {process.returncode}); see its log in "
                             f"{services.log_dir(paths)}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} did not answer on {url} within {timeout:.0f} s; see the logs in {services.log_dir(paths)}")


def _users(env: dict[str, str]) -> list[dict[str, str]]:
    """The configured users, their roles and the passwords Airflow generated for them into its passwords file."""
    password_file = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    deadline = time.monotonic() + 30
    while True:  # the API server writes the file as it starts
        passwords = json.loads(password_file.read_text() or "{}") if password_file.exists() else {}
        users = [dict(zip(("name", "role"), entry.strip().split(":")[:2]))
                 for entry in env[USERS_VARIABLE].split(",") if entry.strip()]
        if all(user["name"] in passwords for user in users) or time.monotonic() > deadline:
            return [{**user, "password": passwords.get(user["name"], "(not generated: see the api-server log)"),
                     "password_file": str(password_file)} for user in users]
        time.sleep(0.5)


def _print_how_to_use(paths: DemoPaths, details: dict) -> None:
    users = details.get("users", [])
    print(f"Airflow UI (log in as {' or '.join(u['name'] for u in users)}):", flush=True)
    print(details.get("ui", "?"))
    for user in users:
        print(f"  user {user['name']:<10} role {user['role']:<7} password {user['password']}")
    if users:
        print(f"  (passwords generated by Airflow, kept in {users[0]['password_file']}; add users with "
              f"{USERS_VARIABLE}=\"{DEFAULT_USERS},anna:user\" make up)")
    print(f"Databases: {details.get('databases', '?')}")
    print(f"Fortnox sandbox: {details.get('sandbox', '?')} (the clients are connected; reconnect one from the UI's "
          "Clients page or with fortnox-etl connect)")
    print(f"Logs: the services' in {services.log_dir(paths)}/<service>.log, the tasks' in {paths.airflow_home / 'logs'}")
    print("fortnox-etl status, vouchers list and sie export work in this checkout as they are. Stop it all with: make down")
