"""docker-compose.yaml, read as Compose reads it (no Docker engine runs here): real logins, the UI and the
sandbox reachable from this machine only unless a bureau chooses an address, the CeleryExecutor with its
workers by default, the LocalExecutor on one machine, and workers on more machines."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

from fortnox_etl.demo import LOCAL_EXECUTOR, SCHEDULER_SETTINGS, TASK_PROCESS_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker", "flower")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:+replacement}, ${NAME:?error}: Compose's interpolation.
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-+?])([^}]*))?\}")


def interpolated(value: str, environment: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value, is_set = environment.get(name), name in environment
        present = bool(value) if operator and operator.startswith(":") else is_set
        if operator in (":-", "-"):
            return value if present else argument
        if operator in (":+", "+"):
            return argument if present else ""
        if operator in (":?", "?") and not present:
            raise KeyError(f"{name}: {argument}")
        return value or ""

    return _VARIABLE.sub(replace, value)


def read(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return read("docker-compose.yaml")


def merged(base: dict, override: dict) -> dict:
    """`docker compose -f base -f override`: mappings merged key by key, ports and extra hosts added to,
    anything else replaced."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            result[key] = merged(base[key], value)
        elif key in ("ports", "extra_hosts") and key in base:
            result[key] = base[key] + value
        else:
            result[key] = value
    return result


def started(compose: dict, profiles: tuple[str, ...] = ()) -> dict[str, dict]:
    """The services `docker compose up` starts with these profiles."""
    return {name: service for name, service in compose["services"].items()
            if not service.get("profiles") or set(service["profiles"]) & set(profiles)}


def published(compose: dict, environment: dict[str, str]) -> dict[str, list[str]]:
    """Per service, the host addresses its ports are published on."""
    return {name: [interpolated(port, environment).rsplit(":", 2)[0] for port in service.get("ports", [])]
            for name, service in compose["services"].items() if service.get("ports")}


def test_the_ui_and_the_sandbox_listen_on_this_machine_only_unless_the_bureau_chooses_an_address(compose):
    assert published(compose, {}) == {"airflow-apiserver": ["127.0.0.1"], "fortnox-sandbox": ["127.0.0.1"],
                                      "flower": ["127.0.0.1"]}
    assert published(compose, {"FORTNOX_ETL_BIND_ADDRESS": "192.168.1.20"}) == {
        "airflow-apiserver": ["192.168.1.20"], "fortnox-sandbox": ["192.168.1.20"],
        "flower": ["127.0.0.1"]}, "Flower has no logins: this machine only, whatever the address"
    assert "postgres" not in published(compose, {}) and "redis" not in published(compose, {}), \
        "the databases and the broker are not published at all"


def test_every_airflow_service_has_real_logins_and_nobody_is_an_admin_by_default(compose):
    text = (ROOT / "docker-compose.yaml").read_text(encoding="utf-8").upper()
    assert "ALL_ADMINS" not in text and "SIMPLE_AUTH_MANAGER" not in text
    for name in AIRFLOW_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["AIRFLOW__CORE__AUTH_MANAGER"] == (
            "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"), name
    assert "import airflow.providers.fab.auth_manager.fab_auth_manager" in (ROOT / "docker" / "Dockerfile").read_text()


def test_the_first_admin_is_created_only_with_a_password_the_bureau_chose(compose):
    init = compose["services"]["airflow-init"]["environment"]

    def as_run(environment: dict[str, str]) -> dict[str, str]:
        return {name: interpolated(str(value), environment) for name, value in init.items()
                if name.startswith("_AIRFLOW_WWW_USER")}

    assert as_run({})["_AIRFLOW_WWW_USER_CREATE"] == "", "no admin with a default password"
    assert as_run({"AIRFLOW_ADMIN_PASSWORD": "Långt-lösenord-7"}) == {
        "_AIRFLOW_WWW_USER_CREATE": "true", "_AIRFLOW_WWW_USER_USERNAME": "admin",
        "_AIRFLOW_WWW_USER_PASSWORD": "Långt-lösenord-7"}
    assert init["_AIRFLOW_DB_MIGRATE"] == "true", "the database is migrated before the user is created"


def test_the_readme_says_how_to_log_in_create_users_publish_and_add_workers(compose):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## docker-compose.yaml"):]
    section = section[:section.index("\n## ", 1)]
    for words in ("AIRFLOW_ADMIN_PASSWORD", "airflow users create", "--role User", "FORTNOX_ETL_BIND_ADDRESS",
                  "127.0.0.1", "--scale airflow-worker=", "docker-compose.one-machine.yaml",
                  "docker-compose.more-machines.yaml", "TASK_INSTANCE_HEARTBEAT_TIMEOUT", "REDIS_PASSWORD"):
        assert words in section, words


def test_every_airflow_service_has_an_async_driver_and_swedish_time(compose):
    for name in AIRFLOW_SERVICES:
        environment = compose["services"][name]["environment"]
        sync, async_ = (environment[f"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN{suffix}"] for suffix in ("", "_ASYNC"))
        assert async_.startswith("postgresql+asyncpg://"), name
        assert async_.split("://", 1)[1] == sync.split("://", 1)[1], f"{name}: one database, two drivers"
        assert environment["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Europe/Stockholm", name
    assert "asyncpg==" in (ROOT / "requirements.txt").read_text()


def test_the_celery_executor_is_the_default_with_redis_and_workers_that_scale(compose):
    services = started(compose)
    assert {"redis", "airflow-worker"} <= set(services) and "flower" not in services, "Flower only when asked for"
    assert set(started(compose, ("flower",))) - set(services) == {"flower"}
    for name in AIRFLOW_SERVICES:
        environment = {key: interpolated(str(value), {}) for key, value in compose["services"][name]["environment"].items()
                       if key.startswith(("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CELERY__", "AIRFLOW__DATABASE__",
                                          "AIRFLOW__SCHEDULER__"))}
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert environment["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0", name
        assert environment["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], \
            f"{name}: the results in Airflow's own database"
        assert int(environment["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"]) <= 120, \
            f"{name}: a dead worker's tasks are retried within two minutes, not Airflow's default five"
    worker = compose["services"]["airflow-worker"]
    assert worker["command"] == ["celery", "worker"]
    assert "container_name" not in worker and "ports" not in worker and "hostname" not in worker, \
        "--scale airflow-worker=N starts N of them"
    assert worker["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert worker["environment"]["DUMB_INIT_SETSID"] == "0", "a stopped worker finishes its tasks first"
    assert "volumes" not in compose["services"]["redis"], "nothing in the broker needs keeping"


def test_task_processes_and_the_scheduler_are_set_as_on_this_machine(compose):
    for name in AIRFLOW_SERVICES:
        environment = compose["services"][name]["environment"]
        assert {key: environment.get(key) for key in TASK_PROCESS_SETTINGS} == TASK_PROCESS_SETTINGS, name
        assert {key: environment.get(key) for key in SCHEDULER_SETTINGS} == SCHEDULER_SETTINGS, name
    for module in TASK_PROCESS_SETTINGS["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"].split(","):
        importlib.import_module(module)  # the forkserver would pass over one it cannot import, unsaid
    module, name = TASK_PROCESS_SETTINGS["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"].rsplit(".", 1)
    celery = getattr(importlib.import_module(module), name)
    assert "fortnox_etl.task_imports" in celery["imports"] and celery["broker_url"], "Airflow's own Celery settings kept"


def test_one_machine_runs_the_local_executor_without_redis_or_workers(compose):
    one_machine = merged(compose, read("docker-compose.one-machine.yaml"))
    services = started(one_machine)
    assert not {"redis", "airflow-worker", "flower"} & set(services)
    for name in set(AIRFLOW_SERVICES) & set(services):
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == LOCAL_EXECUTOR, name
        assert services[name]["environment"]["AIRFLOW__CORE__AUTH_MANAGER"] == (
            compose["services"][name]["environment"]["AIRFLOW__CORE__AUTH_MANAGER"]), "the rest as in docker-compose.yaml"
    assert all("redis" not in service.get("depends_on", {}) for service in services.values())
    assert {name: hosts for name, hosts in published(one_machine, {}).items() if name in services} == {
        "airflow-apiserver": ["127.0.0.1"], "fortnox-sandbox": ["127.0.0.1"]}


def test_workers_on_more_machines_reach_the_main_one_with_passwords_only(compose):
    more = merged(compose, read("docker-compose.more-machines.yaml"))
    settings = {"FORTNOX_ETL_BIND_ADDRESS": "10.0.0.5", "POSTGRES_PASSWORD": "Långt-lösenord-7", "REDIS_PASSWORD": "r3dis-l0ng"}
    text = (ROOT / "docker-compose.more-machines.yaml").read_text(encoding="utf-8")
    for missing in settings:
        with pytest.raises(KeyError, match=missing):
            interpolated(text, {name: value for name, value in settings.items() if name != missing})
    assert published(more, settings) == {
        "postgres": ["10.0.0.5"], "redis": ["10.0.0.5"], "airflow-apiserver": ["10.0.0.5"],
        "fortnox-sandbox": ["10.0.0.5"], "flower": ["127.0.0.1"]}
    worker = more["services"]["airflow-worker"]
    assert sorted(interpolated(host, settings) for host in worker["extra_hosts"]) == [
        "airflow-apiserver:10.0.0.5", "fortnox-sandbox:10.0.0.5", "postgres:10.0.0.5", "redis:10.0.0.5"]
    for name in ("airflow-scheduler", "airflow-worker", "flower"):
        environment = more["services"][name]["environment"]
        assert interpolated(environment["AIRFLOW__CELERY__BROKER_URL"], settings) == "redis://:r3dis-l0ng@redis:6379/0"
        for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW_CONN_FORTNOX_STAGING"):
            assert ":Långt-lösenord-7@postgres:5432/" in interpolated(environment[key], settings), (name, key)
    assert interpolated(" ".join(more["services"]["redis"]["command"]), settings) == "redis-server --requirepass r3dis-l0ng"
