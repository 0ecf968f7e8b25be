"""`make up` / `make down` run as an operator runs them, in a checkout laid out in a tmp folder, and the command
line afterwards with nothing exported by hand; the command line finding a connection only Airflow's metadata
database holds. Slow (Airflow's services start): a few tests only."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from fortnox_etl.staging.database import staging_url
from test_cli_connect import connection_json

pytestmark = pytest.mark.airflow_services(seconds=280)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("FORTNOX_ETL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def clean_environment(**settings: str) -> dict[str, str]:
    """What a fresh shell has: no AIRFLOW_CONN_*, no token key, no Airflow home; plus the settings given."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8", **settings}


def fortnox_etl(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "fortnox-etl"), *args], env=env, capture_output=True, text=True, timeout=timeout)


def checkout_in(folder: Path) -> Path:
    """A checkout of the project in the folder: its files linked, its .airflow/, var/ and out/ its own."""
    folder.mkdir()
    for name in ("dags", "include", "config", "plugins", "examples"):
        (folder / name).symlink_to(ROOT / name)
    return folder


def postgres_reachable() -> bool:
    try:
        with create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3}).connect():
            return True
    except OperationalError:
        return False


def processes_of(checkout: Path) -> list[psutil.Process]:
    """The live processes started for this checkout: they carry its FORTNOX_ETL_HOME, or run in its var/ (a
    process title set by Airflow can hide the environment)."""
    found = []
    for process in psutil.process_iter():
        try:
            ours = process.environ().get("FORTNOX_ETL_HOME") == str(checkout) or process.cwd() == str(checkout / "var")
            if ours and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.mark.parametrize("database", ["postgres", "sqlite"])
def test_make_up_serves_the_ui_with_real_logins_and_the_cli_works_after_it_then_make_down_stops_it_all(
        database, tmp_path):
    if database == "postgres" and not postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable")
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable; start it to run make up on PostgreSQL")
    checkout = checkout_in(tmp_path / "checkout")
    env = clean_environment(FORTNOX_ETL_HOME=str(checkout), FORTNOX_ETL_POSTGRES=POSTGRES_ADMIN_URL)
    started = time.monotonic()
    try:
        up = fortnox_etl(env, "up", *(["--sqlite"] if database == "sqlite" else []), timeout=400)
        print(f"make up took {time.monotonic() - started:.1f} s")
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        address = re.search(r"^http://127\.0\.0\.1:(\d+)/$", up.stdout, re.MULTILINE)
        assert address, up.stdout
        ui = address.group(0)
        assert requests.get(ui, timeout=10).status_code == 200
        assert ("PostgreSQL at" if database == "postgres" else "SQLite:") in up.stdout
        assert re.search(rf"the services' in {re.escape(str(checkout / 'var' / 'up' / 'logs'))}", up.stdout)
        assert (checkout / "var" / "up" / "logs" / "scheduler.log").exists()

        passwords = dict(re.findall(r"user (\w+)\s+role \w+\s+password (\S+)", up.stdout))
        assert set(passwords) == {"operator", "viewer"}
        generated = json.loads((checkout / ".airflow" / "simple_auth_manager_passwords.json.generated").read_text())
        assert generated == passwords, "the passwords printed are those Airflow generated"
        assert requests.get(f"{ui}api/v2/dags", timeout=10).status_code == 401, "nobody gets in without logging in"
        assert requests.post(f"{ui}auth/token", json={"username": "operator", "password": "wrong"},
                             timeout=10).status_code == 401
        login = requests.post(f"{ui}auth/token", json={"username": "operator", "password": passwords["operator"]},
                              timeout=10)
        assert login.status_code == 201, login.text
        as_operator = {"Authorization": f"Bearer {login.json()['access_token']}"}

        deadline, dags = time.monotonic() + 120, set()
        while time.monotonic() < deadline and not {"fortnox_sync__acme", "fortnox_sync__norrsken"} <= dags:
            dags = {dag["dag_id"] for dag in requests.get(f"{ui}api/v2/dags", headers=as_operator, timeout=10).json()["dags"]}
            time.sleep(1)
        assert {"fortnox_sync__acme", "fortnox_sync__norrsken", "fortnox_export__acme", "fortnox_tokens"} <= dags
        connections = {c["connection_id"]: c for c in
                       requests.get(f"{ui}api/v2/connections", headers=as_operator, timeout=10).json()["connections"]}
        assert connections["fortnox_staging"]["conn_type"] == ("postgres" if database == "postgres" else "sqlite")
        assert connections["fortnox_app"]["login"] == "sandbox-client-id"
        services = processes_of(checkout)
        recorded = json.loads((checkout / "var" / "up" / "processes.json").read_text())["services"]
        assert {service["name"] for service in recorded} == {
            "fortnox-sandbox", "api-server", "scheduler", "dag-processor", "triggerer"}
        assert {service["pid"] for service in recorded} <= {os.getpgid(process.pid) for process in services}, \
            "each service leads a process group of its own"
        assert not [name for process in services for name in process.environ() if name.startswith("AIRFLOW_CONN_")], \
            "the services read the connections from the metadata database, where the UI edits them"

        status = fortnox_etl(clean_environment(FORTNOX_ETL_HOME=str(checkout)), "status")
        assert status.returncode == 0, status.stderr
        lines = {line.split()[0]: line.split()[1] for line in status.stdout.splitlines()[1:]}
        assert lines == {"acme": "yes", "norrsken": "yes"}, status.stdout
        again = fortnox_etl(env, "up")
        assert again.returncode == 0 and "already running" in again.stdout and ui in again.stdout
    finally:
        down = fortnox_etl(env, "down", timeout=120)
    assert down.returncode == 0 and down.stdout.startswith("stopped "), down.stdout + down.stderr
    time.sleep(0.5)
    assert processes_of(checkout) == [], "nothing of make up runs after make down"
    assert fortnox_etl(env, "down").stdout.strip() == "nothing of make up is running in this checkout"
    if database == "postgres":
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in re.findall(r"database (\w+), staging in (\w+)", up.stdout)[0]:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    """An Airflow home with a migrated SQLite metadata database and no connections."""
    home = tmp_path_factory.mktemp("airflow-home")
    (home / "airflow.cfg").write_text(f"[database]\nsql_alchemy_conn = sqlite:///{home / 'airflow.db'}\n"
                                      "[core]\nload_examples = False\n", encoding="utf-8")
    migrated = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=clean_environment(AIRFLOW_HOME=str(home)),
                              capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    return home


def test_the_cli_finds_a_connection_only_airflows_metadata_database_holds_and_the_environment_wins(
        airflow_home, staging, tmp_path):
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - {key: acme, name: Acme AB, organisation_number: '556677-8899'}\n", encoding="utf-8")
    env = clean_environment(AIRFLOW_HOME=str(airflow_home), FORTNOX_ETL_CLIENTS=str(clients))
    stored = tmp_path / "connections.json"
    fields = {name: value for name, value in json.loads(connection_json(staging)).items() if value}
    stored.write_text(json.dumps({"fortnox_staging": fields}), encoding="utf-8")
    imported = subprocess.run([str(BIN / "airflow"), "connections", "import", "--overwrite", str(stored)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stdout + imported.stderr

    listed = fortnox_etl(env, "vouchers", "list", "acme")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "the outbox of acme is empty; add drafts with `fortnox-etl vouchers add acme FILE`"
    assert "outbox_vouchers" in inspect(create_engine(staging_url(staging))).get_table_names(), \
        "the staging database of the stored connection was used"

    elsewhere = tmp_path / "from-the-environment.db"
    env["AIRFLOW_CONN_FORTNOX_STAGING"] = json.dumps({"conn_type": "sqlite", "host": str(elsewhere)})
    assert fortnox_etl(env, "vouchers", "list", "acme").returncode == 0
    assert elsewhere.exists(), "the environment variable wins over Airflow's stored connection"

    status = fortnox_etl({**env, "FORTNOX_ETL_TOKEN_KEY": "unused"}, "status")
    assert status.returncode == 2
    assert status.stderr.startswith("fortnox-etl: connection 'fortnox_app' is not configured: set "
                                    f"AIRFLOW_CONN_FORTNOX_APP") and f"nor in the Airflow of {airflow_home}" in status.stderr
