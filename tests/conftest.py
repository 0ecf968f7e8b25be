"""Shared fixtures: a staging database of each kind, a running Fortnox sandbox, and connected clients."""
from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import URL, create_engine, text
from sqlalchemy.exc import OperationalError

from fortnox_etl.config import APP_CONN_ID, DEFAULT_CLIENTS_FILE, STAGING_CONN_ID, ConnectionSettings, load_clients
from fortnox_etl.connections.connect import finish_connect
from fortnox_etl.demo import sandbox_app
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.generator import generate_company, sandbox_company
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.staging.database import create_schema
from sandbox_helpers import ACME, NORRSKEN, app_connection

POSTGRES_ADMIN_URL = os.environ.get("FORTNOX_ETL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")



def pytest_collection_modifyitems(items) -> None:
    """The files that start Airflow's services first, the longest first (their marker's `seconds`), so that
    make test's two workers (a file each at a time) take the long files at the start and end together. The sort is
    stable and the same for a file's tests. pytest-xdist keeps this order only with --no-loadscope-reorder
    (pyproject's addopts); by default it would hand out the files with the most tests first."""
    def longest_first(item) -> float:
        marker = item.get_closest_marker("airflow_services")
        return -marker.kwargs.get("seconds", 1) if marker else 0

    items.sort(key=longest_first)


@pytest.fixture(params=["sqlite", "postgres"])
def staging(request, tmp_path) -> ConnectionSettings:
    """The fortnox_staging connection: a fresh SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield ConnectionSettings(STAGING_CONN_ID, "sqlite", host=str(tmp_path / "staging.db"))
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"fortnox_etl_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        reason = f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable ({error.orig}); start it to run the PostgreSQL half"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    url = admin.url
    yield ConnectionSettings(STAGING_CONN_ID, "postgres", host=url.host, port=url.port, login=url.username,
                             password=url.password, schema=name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def clients():
    return load_clients(DEFAULT_CLIENTS_FILE)


@pytest.fixture(scope="session")
def companies(clients):
    return [generate_company(sandbox_company(client, tenant)) for tenant, client in enumerate(clients, start=1001)]


@pytest.fixture(scope="module")
def acme():
    return generate_company(ACME)


@pytest.fixture(scope="module")
def norrsken():
    return generate_company(NORRSKEN)


@pytest.fixture
def sandbox(companies):
    with RunningSandbox(companies) as running:
        yield running


@pytest.fixture
def app(sandbox) -> oauth.FortnoxApp:
    return sandbox_app(sandbox.base_url)


@pytest.fixture
def make_context(staging, app, tmp_path):
    """A ClientContext for a client, built from connection settings exactly as a task builds it."""
    key = Fernet.generate_key().decode()
    settings = {STAGING_CONN_ID: staging, APP_CONN_ID: app_connection(app)}

    def make(client, connect: bool = True) -> ClientContext:
        ctx = ClientContext.create(client, settings.__getitem__, token_key=key, out_dir=tmp_path / "out")
        if connect:
            create_schema(ctx.engine)
            url, state = oauth.authorization_url(app)
            finish_connect(ctx.tokens(), app, client, consent(url, client.organisation_number), state)
        return ctx

    return make


@contextlib.contextmanager
def fresh_databases():
    """make(prefix) creates a fresh PostgreSQL database and gives its URL; all are dropped at the end."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = []

    def make(prefix: str) -> URL:
        names.append(f"{prefix}_{uuid.uuid4().hex[:12]}")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{names[-1]}"'))
        return admin.url.set(database=names[-1])

    yield make
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def metadata_database():
    """A fresh PostgreSQL database for Airflow's metadata, dropped afterwards (the scheduler needs one)."""
    with fresh_databases() as make:
        yield make("airflow_test").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def postgres_databases():
    """Fresh PostgreSQL databases for a module's tests (make(prefix) gives one's URL), dropped after them."""
    with fresh_databases() as make:
        yield make
