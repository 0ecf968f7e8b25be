"""Where `make up` keeps Airflow's metadata and the staging database: two databases of their own on PostgreSQL
when its server answers (FORTNOX_ETL_POSTGRES, default 127.0.0.1:5432 as user postgres), SQLite files otherwise.
Both are made afresh at each start: the new sandbox's books and tokens make yesterday's meaningless."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from fortnox_etl.demo import DemoPaths

POSTGRES_VARIABLE = "FORTNOX_ETL_POSTGRES"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Databases:
    description: str  # for the operator: which server, which databases
    metadata_url: str  # Airflow's sql_alchemy_conn
    metadata_async_url: str  # Airflow's sql_alchemy_conn_async (the API server's async driver)
    staging: dict | None  # the fortnox_staging connection's JSON form; None: the SQLite file under var/


def choose(paths: DemoPaths, sqlite: bool = False) -> Databases:
    """PostgreSQL if it answers (and SQLite is not asked for), else SQLite; the databases made empty."""
    if not sqlite:
        server = make_url(os.environ.get(POSTGRES_VARIABLE) or DEFAULT_POSTGRES).set(drivername="postgresql+psycopg")
        try:
            return _fresh_postgres(paths, server)
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0]
            print(f"PostgreSQL at {server.render_as_string(hide_password=True)} cannot be used ({reason}); "
                  f"using SQLite files instead (set {POSTGRES_VARIABLE} to another server's address)", flush=True)
    metadata = paths.airflow_home / "airflow.db"
    metadata.unlink(missing_ok=True)
    return Databases(f"SQLite: Airflow's metadata in {metadata}, staging in {paths.staging_db}",
                     f"sqlite:///{metadata}", f"sqlite+aiosqlite:///{metadata}", None)


def _fresh_postgres(paths: DemoPaths, server) -> Databases:
    # Named for the checkout, so that several checkouts can each run make up on one server.
    tag = hashlib.sha256(str(paths.airflow_home.resolve()).encode()).hexdigest()[:8]
    metadata_db, staging_db = f"fortnox_etl_{tag}_airflow", f"fortnox_etl_{tag}_staging"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            for name in (metadata_db, staging_db):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    metadata = server.set(database=metadata_db)
    return Databases(
        f"PostgreSQL at {server.render_as_string(hide_password=True).rsplit('/', 1)[0]}: Airflow's metadata in the "
        f"database {metadata_db}, staging in {staging_db}",
        metadata.render_as_string(hide_password=False),
        metadata.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False),
        {"conn_type": "postgres", "host": server.host or "127.0.0.1", "port": server.port or 5432,
         "login": server.username, "password": server.password, "schema": staging_db},
    )
