"""docker-compose.yaml, read as Compose reads it (no Docker engine runs here): real logins, and the UI and
the sandbox reachable from this machine only unless a bureau chooses an address."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer")
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


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))


def published(compose: dict, environment: dict[str, str]) -> dict[str, list[str]]:
    """Per service, the host addresses its ports are published on."""
    return {name: [interpolated(port, environment).rsplit(":", 2)[0] for port in service.get("ports", [])]
            for name, service in compose["services"].items() if service.get("ports")}


def test_the_ui_and_the_sandbox_listen_on_this_machine_only_unless_the_bureau_chooses_an_address(compose):
    assert published(compose, {}) == {"airflow-apiserver": ["127.0.0.1"], "fortnox-sandbox": ["127.0.0.1"]}
    assert published(compose, {"FORTNOX_ETL_BIND_ADDRESS": "192.168.1.20"}) == {
        "airflow-apiserver": ["192.168.1.20"], "fortnox-sandbox": ["192.168.1.20"]}
    assert "postgres" not in published(compose, {}), "the databases are not published at all"


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


def test_the_readme_says_how_to_log_in_create_users_and_publish(compose):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## docker-compose.yaml"):]
    section = section[:section.index("\n## ", 1)]
    for words in ("AIRFLOW_ADMIN_PASSWORD", "airflow users create", "--role User", "FORTNOX_ETL_BIND_ADDRESS",
                  "127.0.0.1"):
        assert words in section, words


def test_every_airflow_service_has_an_async_driver_and_swedish_time(compose):
    for name in AIRFLOW_SERVICES:
        environment = compose["services"][name]["environment"]
        sync, async_ = (environment[f"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN{suffix}"] for suffix in ("", "_ASYNC"))
        assert async_.startswith("postgresql+asyncpg://"), name
        assert async_.split("://", 1)[1] == sync.split("://", 1)[1], f"{name}: one database, two drivers"
        assert environment["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Europe/Stockholm", name
    assert "asyncpg==" in (ROOT / "requirements.txt").read_text()
