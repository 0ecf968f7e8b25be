"""The Airflow home of a local deployment (make demo, make up): its airflow.cfg and its stored connections,
so that the `airflow` and `fortnox-etl` commands typed later in the checkout find the same Airflow."""
from __future__ import annotations

import configparser
import json
from pathlib import Path

from fortnox_etl.demo import run_airflow

SETTING_PREFIX = "AIRFLOW__"


def write_airflow_cfg(env: dict[str, str]) -> Path:
    """Every Airflow setting of env (AIRFLOW__<SECTION>__<KEY>) into $AIRFLOW_HOME/airflow.cfg, readable by its
    owner only (it holds the database's address and the API's signing secret)."""
    config = configparser.ConfigParser(interpolation=None)
    for name, value in sorted(env.items()):
        if name.startswith(SETTING_PREFIX) and name.count("__") == 2:
            section, key = name[len(SETTING_PREFIX):].lower().split("__")
            if not config.has_section(section):
                config.add_section(section)
            config.set(section, key, value.replace("%", "%%"))  # Airflow reads "%" as interpolation
    path = Path(env["AIRFLOW_HOME"]) / "airflow.cfg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    with path.open("w", encoding="utf-8") as file:
        file.write("# Written by make demo or make up at each start; environment variables override it.\n")
        config.write(file)
    return path


def store_connections(env: dict[str, str], connections: dict[str, dict]) -> None:
    """The connections (Airflow's JSON form, by id) into Airflow's metadata database, replacing any of the same
    id: the UI's Connections page shows and edits them there."""
    file = Path(env["AIRFLOW_HOME"]) / "connections-to-import.json"
    file.touch(mode=0o600)
    file.chmod(0o600)
    try:
        file.write_text(json.dumps(connections), encoding="utf-8")
        run_airflow(env, "connections", "import", "--overwrite", str(file))
    finally:
        file.unlink(missing_ok=True)
