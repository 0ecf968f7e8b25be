"""Engines for the staging database (SQLite embedded, PostgreSQL in production) and the SQL files."""
from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine, Integer, create_engine, event, inspect, text
from sqlalchemy.engine import URL

from fortnox_etl.config import SQL_DIR, ConfigError, ConnectionSettings

log = logging.getLogger(__name__)


def staging_url(settings: ConnectionSettings) -> URL:
    """The SQLAlchemy URL for the staging connection: type sqlite (host = file path) or postgres."""
    kind = settings.conn_type.lower()
    if kind == "sqlite":
        if not settings.host:
            raise ConfigError(f"connection '{settings.conn_id}': a sqlite connection needs the database file path as host")
        return URL.create("sqlite", database=settings.host)
    if kind in ("postgres", "postgresql"):
        return URL.create(
            "postgresql+psycopg",
            username=settings.login,
            password=settings.password,
            host=settings.host or "127.0.0.1",
            port=settings.port,
            database=settings.schema or "postgres",
        )
    raise ConfigError(
        f"connection '{settings.conn_id}' has type '{settings.conn_type}'; the staging database must be sqlite or postgres"
    )


def create_staging_engine(url: str | URL) -> Engine:
    url = URL.create("sqlite", database=url) if isinstance(url, str) and "://" not in url else url
    # hide_parameters: an error message must never carry a statement's values (tokens, even encrypted).
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        _make_sqlite_transactional(engine)
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    return engine


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite defers BEGIN until the first write, so two processes could both read a token and then
    # both refresh it. Taking the write lock at BEGIN (IMMEDIATE) makes every transaction a real lock.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@cache
def sql(name: str) -> str:
    """The text of include/sql/<name>.sql."""
    path = SQL_DIR / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"SQL file {path} is missing from the installation") from None


def statements(name: str) -> list[str]:
    """The statements of a SQL file, split at semicolons that end a line (our files keep none inside strings)."""
    body = "\n".join(line for line in sql(name).splitlines() if not line.lstrip().startswith("--"))
    return [part.strip() for part in body.split(";\n") if part.strip().rstrip(";").strip()]


def run_sql(connection: Connection, name: str, **params) -> None:
    for statement in statements(name):
        connection.execute(text(statement.rstrip(";")), params)


def create_schema(engine: Engine) -> None:
    """Create every staging table and view that does not exist yet (idempotent, safe on every run), after
    rebuilding the tables from before a column of theirs became text (_rebuild_tables_now_text)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            run_sql(connection, "schema_lock/wait_for_schema_lock")
        files = [f"schema/{path.stem}" for path in sorted((SQL_DIR / "schema").glob("*.sql"))]
        _rebuild_tables_now_text(connection, files)
        # One inspector for the whole pass: it keeps what it has read, and each view and each table's columns are
        # read once (a table's columns before its ADD COLUMNs, each of which adds a column of its own).
        found = inspect(connection)
        for name in files:
            for statement in statements(name):
                view = _CREATE_VIEW.match(statement)
                if view is not None:
                    if view.group(1) in found.get_view_names():
                        if _same_columns(connection, found, view.group(1), statement[view.end():]):
                            continue
                        connection.execute(text(f"DROP VIEW {view.group(1)}"))  # from before columns were added
                    elif found.has_table(view.group(1)):  # a table from before it became a view
                        connection.execute(text(f"DROP TABLE {view.group(1)}"))
                added = _ADD_COLUMN.match(statement)
                if added is not None and added.group(2) in {column["name"] for column in found.get_columns(added.group(1))}:
                    continue
                connection.execute(text(statement.rstrip(";")))


def _same_columns(connection: Connection, found, view: str, select: str) -> bool:
    """Whether an existing view has the columns its definition's SELECT gives now."""
    defined = connection.execute(text(f"SELECT * FROM ({select.rstrip(';')}) AS definition WHERE 1 = 0")).keys()
    return [column["name"] for column in found.get_columns(view)] == list(defined)


def _rebuild_tables_now_text(connection: Connection, files: list[str]) -> None:
    """Rebuild each existing table that holds as a number a column its file now declares as text (account
    numbers and SRU codes, kept as written: 0351 is not 351), its rows copied with those columns cast to
    text. Neither database changes such a column in place alike (SQLite not at all): the rows are set aside
    in a temporary table, the table is dropped and created anew from its file, and the rows come back. The
    staging views are dropped first, as PostgreSQL drops no table a view reads; create_schema creates them
    again."""
    found = inspect(connection)
    existing = set(found.get_table_names())
    declared = {match.group(1) for name in files for s in statements(name) if (match := _CREATE_TABLE.match(s))}
    # Every table's columns in one query, not one query (PostgreSQL: several) a table.
    present = sorted(declared & existing)
    columns = {table: found_columns for (_schema, table), found_columns
               in found.get_multi_columns(filter_names=present).items()} if present else {}
    stale = []
    for name in files:
        file_statements = statements(name)
        for statement in file_statements:
            created = _CREATE_TABLE.match(statement)
            if created is None or created.group(1) not in existing:
                continue
            table = created.group(1)
            numeric = {column["name"] for column in columns[table] if isinstance(column["type"], Integer)}
            now_text = {column: kind for column, kind in _TEXT_COLUMN.findall(statement) if column in numeric}
            if now_text:
                added = [s for s in file_statements if (match := _ADD_COLUMN.match(s)) and match.group(1) == table]
                stale.append((table, [statement, *added], now_text))
    if not stale:
        return
    for view in (match.group(1) for name in files for s in statements(name) if (match := _CREATE_VIEW.match(s))):
        connection.execute(text(f"DROP VIEW IF EXISTS {view}"))
    for table, definition, now_text in stale:
        kept = _column_names(connection, table)
        connection.execute(text(f"CREATE TEMPORARY TABLE {table}_before AS SELECT * FROM {table}"))
        connection.execute(text(f"DROP TABLE {table}"))
        for statement in definition:
            connection.execute(text(statement.rstrip(";")))
        new = _column_names(connection, table)
        columns = [column for column in kept if column in new]
        values = [f"CAST({column} AS {now_text[column]})" if column in now_text else column for column in columns]
        copied = connection.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) "
                                         f"SELECT {', '.join(values)} FROM {table}_before")).rowcount
        connection.execute(text(f"DROP TABLE {table}_before"))
        log.info("staging: table %s rebuilt to keep %s as text, as SIE files write them; its %s rows were copied",
                 table, " and ".join(sorted(now_text)), f"{copied:,}")


def _column_names(connection: Connection, table: str) -> list[str]:
    return [column["name"] for column in inspect(connection).get_columns(table)]


_CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \(", re.IGNORECASE)
# A column declared as text in a CREATE TABLE statement, and its type: `    account  VARCHAR(20) NOT NULL,`
_TEXT_COLUMN = re.compile(r"^[ \t]+(\w+)[ \t]+((?:VARCHAR|CHAR)\(\d+\)|TEXT(?!\w))", re.IGNORECASE | re.MULTILINE)
# CREATE VIEW has no IF NOT EXISTS on PostgreSQL (and no OR REPLACE on SQLite): a view is created when missing,
# and created again when its definition's columns changed.
_CREATE_VIEW = re.compile(r"CREATE VIEW (\w+) AS", re.IGNORECASE)
# ADD COLUMN has no IF NOT EXISTS on SQLite: a column added to a table after its release is added when missing.
_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", re.IGNORECASE)
