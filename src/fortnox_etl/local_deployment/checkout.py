"""What `make demo` and `make up` leave in the checkout for the command line, so that `fortnox-etl status`
works there with nothing exported by hand: an Airflow home whose metadata database holds the connections,
and the token key in var/token.key. Environment variables always win over both."""
from __future__ import annotations

import os
from pathlib import Path

from fortnox_etl.demo import DemoPaths
from fortnox_etl.fortnox.token_store import TOKEN_KEY_VARIABLE

# Airflow settings that point it at connections without an airflow.cfg.
_AIRFLOW_SOURCES = ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__SECRETS__BACKEND")


def airflow_home_to_ask() -> Path | None:
    """The Airflow home whose connections the command line reads when no AIRFLOW_CONN_<ID> names one:
    $AIRFLOW_HOME, else the checkout's .airflow/ (make demo, make up), else Airflow's own default ~/airflow;
    only one Airflow has used (an airflow.cfg or a metadata database in it), or one the environment points
    at a database or secrets backend. None when there is no Airflow to ask."""
    configured = os.environ.get("AIRFLOW_HOME")
    candidates = [Path(configured)] if configured else [DemoPaths().airflow_home, Path.home() / "airflow"]
    for home in candidates:
        if any(os.environ.get(name) for name in _AIRFLOW_SOURCES) or (home / "airflow.cfg").exists() \
                or (home / "airflow.db").exists():
            return home
    return None


def token_key() -> str | None:
    """FORTNOX_ETL_TOKEN_KEY, else the key make demo or make up made in var/token.key for the checkout's own
    Airflow (not with an $AIRFLOW_HOME of another, whose tokens it would not open); None without either."""
    if os.environ.get(TOKEN_KEY_VARIABLE, "").strip():
        return os.environ[TOKEN_KEY_VARIABLE].strip()
    paths = DemoPaths()
    if os.environ.get("AIRFLOW_HOME", str(paths.airflow_home)) == str(paths.airflow_home) and paths.token_key_file.exists():
        return paths.token_key_file.read_text().strip() or None
    return None
