"""The demo: a Fortnox sandbox, the demo clients connected to it, and each client's sync run through Airflow.

Everything it creates stays inside the project: .airflow/ (Airflow home, SQLite metadata),
var/ (staging database, token key) and out/ (SIE4 files). Running it again starts afresh.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from fortnox_etl.config import (
    APP_CONN_ID,
    OUT_DIR,
    PROJECT_ROOT,
    STAGING_CONN_ID,
    Client,
    ConnectionSettings,
    load_clients,
)
from fortnox_etl.connections.connect import finish_connect
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.token_store import TOKEN_KEY_VARIABLE, TokenStore
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.generator import generate_company, sandbox_company
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from fortnox_etl.sie.reader import read_sie
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url


@dataclass(frozen=True)
class DemoPaths:
    airflow_home: Path = PROJECT_ROOT / ".airflow"
    var_dir: Path = PROJECT_ROOT / "var"
    out_dir: Path = OUT_DIR

    @property
    def staging_db(self) -> Path:
        return self.var_dir / "staging.db"

    @property
    def token_key_file(self) -> Path:
        return self.var_dir / "token.key"


def token_key(paths: DemoPaths) -> str:
    """The demo's token key, made once and kept out of the repository (var/ is ignored by git)."""
    if not paths.token_key_file.exists():
        paths.var_dir.mkdir(parents=True, exist_ok=True)
        paths.token_key_file.write_bytes(Fernet.generate_key())
        paths.token_key_file.chmod(0o600)
    return paths.token_key_file.read_text().strip()


# Swedish time: schedules and dates given without a zone are Stockholm's (the UI shows the browser's own zone).
TIME_ZONE = "Europe/Stockholm"


def local_connections(app: oauth.FortnoxApp, paths: DemoPaths, staging: dict | None = None) -> dict[str, dict]:
    """The project's two connections in Airflow's JSON form: the staging database (the SQLite file under
    var/ unless another is given) and the bureau's app registered with the sandbox."""
    return {
        STAGING_CONN_ID: staging or {"conn_type": "sqlite", "host": str(paths.staging_db)},
        APP_CONN_ID: {"conn_type": "http", "login": app.client_id, "password": app.client_secret,
                      "extra": {"auth_url": app.auth_url, "api_url": app.api_url, "redirect_uri": app.redirect_uri}},
    }


# Airflow's LocalExecutor holding a slot per task, so that priority weights decide at month-end (its module says why).
LOCAL_EXECUTOR = "fortnox_etl.airflow_local_executor.LocalExecutor"
# Task processes start with the package imported (fortnox_etl.task_imports): the LocalExecutor's workers come
# from a forkserver that imported it, Celery's pool processes from a worker that did. A task's calls to the
# API server wait up to 30 s, not 5: at a month-end start the API server shares the cores with the scheduler,
# the DAG processor and the first tasks, and a task whose start call timed out failed its try.
TASK_PROCESS_SETTINGS = {
    "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
    "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD": "airflow.sdk.execution_time.task_runner,fortnox_etl.task_imports",
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "fortnox_etl.celery_settings.CELERY_CONFIG",
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
}
# At a month-end every client's run waits for a slot, and Airflow's scheduler re-examines up to 20 of them a loop (about
# a loop a second) though nothing changes for them until a slot is free: 73% of its CPU in a 100-client month. Five a
# loop took Airflow's processes from 118 to 57 core-seconds and the month from 337 to 266 s (bench/fleet.py; README,
# "A thousand clients").
SCHEDULER_SETTINGS = {"AIRFLOW__SCHEDULER__MAX_DAGRUNS_PER_LOOP_TO_SCHEDULE": "5"}


def airflow_settings(key: str, paths: DemoPaths) -> dict[str, str]:
    """Airflow settings for a laptop with 2 cores, the token key and the output folder, as environment variables."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(paths.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": TIME_ZONE,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{paths.airflow_home / 'airflow.db'}",
        TOKEN_KEY_VARIABLE: key,
        "FORTNOX_ETL_OUT": str(paths.out_dir),
        **TASK_PROCESS_SETTINGS,
        **SCHEDULER_SETTINGS,
    }


def airflow_environment(app: oauth.FortnoxApp, key: str, paths: DemoPaths, staging: dict | None = None) -> dict[str, str]:
    """airflow_settings with the project's connections as environment variables (AIRFLOW_CONN_<ID>)."""
    connections = local_connections(app, paths, staging)
    return {**airflow_settings(key, paths),
            **{f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(fields) for conn_id, fields in connections.items()}}


def run_airflow(env: dict[str, str], *args: str) -> str:
    """Run an airflow command of this virtualenv; its output goes to a file under the Airflow home."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    print(f"$ airflow {' '.join(args)}", flush=True)
    completed = subprocess.run(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    name = "_".join(a for a in args if not a.startswith(("{", "-")))
    log_file = Path(env["AIRFLOW_HOME"]) / "command-output" / f"{name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(completed.stdout)
    if completed.returncode != 0:
        print(completed.stdout[-6000:])
        raise SystemExit(f"airflow {' '.join(args[:2])} failed (exit {completed.returncode}); full output in {log_file}")
    return completed.stdout


def activity_lines(airflow_output: str, client_key: str) -> list[str]:
    """The operator's lines of a run's log: our messages about the client, without Airflow's log prefix."""
    marker = f"client {client_key}:"
    return [line[line.index(marker):].split(" [fortnox_etl", 1)[0] for line in airflow_output.splitlines() if marker in line]


def sandbox_app(base_url: str) -> oauth.FortnoxApp:
    """The bureau's app as registered with a running sandbox."""
    return oauth.FortnoxApp(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET,
                            auth_url=f"{base_url}/oauth-v1", api_url=base_url)


def connect_through_consent(tokens: TokenStore, app: oauth.FortnoxApp, client: Client) -> None:
    """Connect a client the way a real one connects, the sandbox's scripted consent standing in for a person."""
    url, state = oauth.authorization_url(app)
    finish_connect(tokens, app, client, consent(url, client.organisation_number), state)


def prepare_local_airflow(app: oauth.FortnoxApp, clients: list[Client], paths: DemoPaths,
                          staging: dict | None = None) -> dict[str, str]:
    """An empty staging database with the clients connected, and the environment Airflow runs in. The staging
    database is the SQLite file under var/, made afresh, unless `staging` (a connection's JSON form) names
    another, empty one."""
    key = token_key(paths)
    if staging is None:
        for leftover in (paths.staging_db, *paths.staging_db.parent.glob(f"{paths.staging_db.name}-*")):
            leftover.unlink(missing_ok=True)  # a new sandbox each time: yesterday's tokens and books mean nothing
    settings = ConnectionSettings.from_json(STAGING_CONN_ID, local_connections(app, paths, staging)[STAGING_CONN_ID])
    engine = create_staging_engine(staging_url(settings))
    create_schema(engine)
    tokens = TokenStore(engine, key, app)
    for client in clients:
        connect_through_consent(tokens, app, client)
    engine.dispose()
    return airflow_environment(app, key, paths, staging)


def post_closing_voucher(env: dict[str, str], client: Client, closing_file: Path) -> None:
    """What an operator does after the closing work: add the closing voucher, approve it, let the export post it."""
    print(f"\nClosing entries for {client.key}: the tax voucher of {closing_file.relative_to(PROJECT_ROOT)}", flush=True)
    added = run_fortnox_etl(env, "vouchers", "add", client.key, str(closing_file.relative_to(PROJECT_ROOT)), "--by", "demo")
    outbox_id = added.split(": ", 1)[1].split()[0]
    run_fortnox_etl(env, "vouchers", "approve", client.key, outbox_id, "--by", "demo")
    output = run_airflow(env, "dags", "test", f"fortnox_export__{client.key}")
    for line in activity_lines(output, client.key):
        print(f"  {line}", flush=True)
    run_fortnox_etl(env, "vouchers", "list", client.key)


def run_fortnox_etl(env: dict[str, str], *args: str) -> str:
    """Run the operator's command as an operator would, and show what it printed."""
    print(f"$ fortnox-etl {' '.join(args)}", flush=True)
    completed = subprocess.run([str(Path(sys.executable).with_name("fortnox-etl")), *args], env=env, cwd=PROJECT_ROOT,
                               capture_output=True, text=True)
    print("\n".join(f"  {line}" for line in (completed.stdout + completed.stderr).strip().splitlines()), flush=True)
    if completed.returncode != 0:
        raise SystemExit(f"fortnox-etl {' '.join(args[:2])} failed (exit {completed.returncode})")
    return completed.stdout


def last_closed_year_end(company, today: dt.date | None = None) -> str:
    """The month (YYYY-MM) ending the company's last financial year that ended before today: the year-end a
    bureau closes now (the sandbox's books also run through the year still open)."""
    today = today or dt.date.today()
    return max(year["ToDate"] for year in company.financial_years if year["ToDate"] < today.isoformat())[:7]


def run_demo(paths: DemoPaths = DemoPaths()) -> None:
    from fortnox_etl.local_deployment import airflow_home, services

    if services.running(paths):
        raise SystemExit("make up is running in this checkout, on the same Airflow home and staging database: "
                         "stop it with make down first, then run the demo")
    started = time.monotonic()
    clients = load_clients()
    companies = [generate_company(sandbox_company(client, tenant)) for tenant, client in enumerate(clients, start=1001)]
    with RunningSandbox(companies) as sandbox:
        print(f"Fortnox sandbox running at {sandbox.base_url}", flush=True)
        app = sandbox_app(sandbox.base_url)
        env = prepare_local_airflow(app, clients, paths)
        airflow_home.write_airflow_cfg(env)
        run_airflow(env, "db", "migrate")
        # Kept for the commands typed after the demo (fortnox-etl status finds them as Airflow does).
        airflow_home.store_connections(env, local_connections(app, paths))
        for client, company in zip(clients, companies, strict=True):
            period = last_closed_year_end(company)
            output = run_airflow(env, "dags", "test", f"fortnox_sync__{client.key}", "-c", json.dumps({"period": period}))
            for line in activity_lines(output, client.key):
                print(f"  {line}", flush=True)
        post_closing_voucher(env, clients[0], PROJECT_ROOT / "examples" / "closing_vouchers_acme.csv")
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s. Per client, under {paths.out_dir}:")
    for client in clients:
        folder = paths.out_dir / client.key
        for path in sorted(folder.glob("*.se")):
            sie = read_sie(path)
            transactions = sum(len(v.transactions) for v in sie.vouchers)
            print(f"  {client.key:10} {path.name}: SIE4, {len(sie.accounts)} accounts, {len(sie.vouchers)} vouchers, "
                  f"{transactions} transactions")
        for path in sorted(folder.glob("*reskontra*.xlsx")):
            print(f"  {client.key:10} {path.name} (and .csv): ledger appendix, open items reconciled with the books")
        for path in sorted(folder.glob(f"{client.key}_rapport_*.html")):
            print(f"  {client.key:10} {path.name}: the period report, open it in a browser: {path.resolve().as_uri()}")
    print(f"Each run's full Airflow log: {paths.airflow_home / 'command-output'}/dags_test_fortnox_sync__<client>.log")
    print("fortnox-etl status, vouchers list and sie export now work in this checkout as they are: they find the "
          "connections in the demo's Airflow (.airflow/) and the token key in var/token.key")
