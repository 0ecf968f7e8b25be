"""A sync and a `sie import` of one client-year at the same time, in two real processes: they never mix
the books, and the recorded source is always the one the staged books came from."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from fortnox_etl.config import APP_CONN_ID, STAGING_CONN_ID, Client
from fortnox_etl.connections import token_upkeep
from fortnox_etl.extract import sync
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.period import Period
from fortnox_etl.period_end import sie_file as period_sie_file
from fortnox_etl.period_end.sie_import import SieImportRefused, import_sie_file
from fortnox_etl.sandbox.faults import Fault, FaultPlan
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from fortnox_etl.sandbox.sie_export import sie_file
from fortnox_etl.sie.import_source import FILE, FORTNOX, active_import_source
from fortnox_etl.staging.books_lease import BooksLease, BooksLeaseLost
from fortnox_etl.staging.database import create_schema
from sandbox_helpers import app_connection

CLIENT = Client(key="medium", name="Mellanstora Mora AB", organisation_number="556000-0001")
TENANT = 3101
CURRENT_YEAR = 2  # 2025 of the generated books
FORTNOX_ETL = Path(sys.executable).parent / "fortnox-etl"
SPAWN = multiprocessing.get_context("spawn")
IMPORTED_TEXT = "Bokförd i det gamla programmet"
POSTED_TEXT = "Periodisering av hyra"


@pytest.fixture(scope="module")
def companies():
    """An M-size company (5,000 vouchers a year): a year loaded before is loaded incrementally."""
    return [generate_company(CompanySpec(TENANT, CLIENT.organisation_number, CLIENT.name, size="M", seed=11))]


def _sync_year(staging, app, token_key: str, year: dict, log_file: Path | None = None) -> None:
    if log_file is not None:
        logging.basicConfig(filename=log_file, level=logging.INFO, format="%(message)s")
    settings = {STAGING_CONN_ID: staging, APP_CONN_ID: app_connection(app)}
    sync.extract_financial_year(ClientContext.create(CLIENT, settings.__getitem__, token_key=token_key), year)


def _environment(staging, app, token_key: str, clients_file: Path) -> dict:
    def connection(settings) -> str:
        return json.dumps({"conn_type": settings.conn_type, "host": settings.host, "schema": settings.schema,
                           "login": settings.login, "password": settings.password, "port": settings.port,
                           "extra": settings.extra})

    return {**os.environ, "AIRFLOW_CONN_FORTNOX_STAGING": connection(staging),
            "AIRFLOW_CONN_FORTNOX_APP": connection(app_connection(app)), "FORTNOX_ETL_TOKEN_KEY": token_key,
            "FORTNOX_ETL_CLIENTS": str(clients_file)}


def _older_books(company, path: Path) -> Path:
    """The year's books as another program holds them: without the voucher posted since, one text differing."""
    data = sie_file(company, CURRENT_YEAR).decode("cp437")
    data = re.sub(r'^(#VER \S+ \S+ \S+ )"[^"]*"', lambda match: f'{match.group(1)}"{IMPORTED_TEXT}"', data,
                  count=1, flags=re.MULTILINE)
    assert IMPORTED_TEXT in data
    path.write_bytes(data.encode("cp437"))
    return path


def _staged_texts(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT description FROM raw_vouchers WHERE client_key = :client_key AND financial_year_id = :year"),
            {"client_key": CLIENT.key, "year": CURRENT_YEAR}).scalars())


def test_an_import_during_a_sync_of_the_year_waits_for_it_and_its_books_are_the_recorded_source(
        make_context, staging, app, sandbox, companies, tmp_path):
    ctx = make_context(CLIENT)
    token_upkeep.keep_tokens_alive(ctx)
    years = sync.extract_company(ctx, Period.parse("2025-12"))["years"]
    year = years[-1]
    sync.extract_financial_year(ctx, year)
    supplied = _older_books(companies[0], tmp_path / "supplied.se")
    ctx.api().post("/3/vouchers", {"Voucher": {
        "VoucherSeries": "A", "TransactionDate": "2025-12-15", "Description": POSTED_TEXT,
        "VoucherRows": [{"Account": 1710, "Debit": 12500.5, "Credit": 0},
                        {"Account": 5010, "Debit": 0, "Credit": 12500.5}]}}, financialyear=CURRENT_YEAR)
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(yaml.safe_dump({"clients": [{"key": CLIENT.key, "name": CLIENT.name,
                                                         "organisation_number": CLIENT.organisation_number}]}))

    # The sync plans an incremental load, then waits 10 s for Fortnox's SIE file: the import comes in then (its
    # process starts and reads the file first, which a loaded machine may take several seconds for).
    sandbox.set_faults(FaultPlan((Fault("slow", next_n=1, path_prefix="/3/sie/4", delay_ms=10_000),)))
    downloads = sandbox.requests(TENANT).get("/3/sie/4", 0)
    syncing = SPAWN.Process(target=_sync_year, args=(staging, app, ctx.token_key, year))
    syncing.start()
    deadline = time.monotonic() + 60
    while sandbox.requests(TENANT).get("/3/sie/4", 0) == downloads:
        assert time.monotonic() < deadline and syncing.is_alive(), "the sync never asked for the SIE file"
        time.sleep(0.05)
    imported = subprocess.run([str(FORTNOX_ETL), "sie", "import", CLIENT.key, str(supplied)], capture_output=True,
                              text=True, timeout=120, env=_environment(staging, app, ctx.token_key, clients_file))
    syncing.join(timeout=120)

    assert syncing.exitcode == 0, "the sync finished"
    assert imported.returncode == 0, imported.stderr
    assert (f"client medium: the import of supplied.se by {getpass.getuser()} waits for the sync of client medium to be done "
            "with the books of the year from 2025-01-01") in imported.stderr, imported.stderr
    # The import came last: the year's books are the file's, whole, and the file is the recorded source.
    assert active_import_source(ctx.engine, CLIENT.key, CURRENT_YEAR) == FILE
    staged = _staged_texts(ctx.engine)
    assert IMPORTED_TEXT in staged and POSTED_TEXT not in staged, "nothing of the sync is mixed into the file's books"
    assert len(staged) == sie_file(companies[0], CURRENT_YEAR).count(b"\n#VER ")


def test_a_sync_waits_while_an_import_writes_the_year_and_says_for_what(make_context, staging, app, tmp_path):
    ctx = make_context(CLIENT)
    token_upkeep.keep_tokens_alive(ctx)
    year = sync.extract_company(ctx, Period.parse("2025-12"))["years"][-1]
    log_file = tmp_path / "sync.log"
    with BooksLease(ctx.engine, CLIENT.key, year["from_date"], "the import of supplied.se by anna"):
        syncing = SPAWN.Process(target=_sync_year, args=(staging, app, ctx.token_key, year, log_file))
        syncing.start()
        deadline = time.monotonic() + 60
        while "waits for" not in (log_file.read_text() if log_file.exists() else ""):
            assert time.monotonic() < deadline and syncing.is_alive(), "the sync never said it waits"
            time.sleep(0.05)
        time.sleep(1)
        assert syncing.is_alive() and active_import_source(ctx.engine, CLIENT.key, CURRENT_YEAR) is None, \
            "nothing is loaded while the import holds the year"
    syncing.join(timeout=120)
    assert syncing.exitcode == 0
    assert ("client medium: the sync of client medium waits for the import of supplied.se by anna to be done with "
            "the books of the year from 2025-01-01") in log_file.read_text()
    assert active_import_source(ctx.engine, CLIENT.key, CURRENT_YEAR) == FORTNOX


def test_no_sie_file_is_read_out_of_the_year_while_an_import_writes_it(make_context, staging, app, tmp_path, caplog):
    """`sie export` (its own process) and a sync's file (here a thread) wait for the import: neither file can hold
    half of each."""
    ctx = make_context(CLIENT)
    token_upkeep.keep_tokens_alive(ctx)
    year = sync.extract_company(ctx, Period.parse("2025-12"))["years"][-1]
    sync.extract_financial_year(ctx, year)
    period_sie_file.build_sie_tables(ctx, [year])
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(yaml.safe_dump({"clients": [{"key": CLIENT.key, "name": CLIENT.name,
                                                         "organisation_number": CLIENT.organisation_number}]}))
    exported = tmp_path / "exported.se"
    caplog.set_level(logging.INFO)
    with BooksLease(ctx.engine, CLIENT.key, year["from_date"], "the import of supplied.se by anna"):
        exporting = subprocess.Popen([str(FORTNOX_ETL), "sie", "export", CLIENT.key, "--year", "2025", "-o", str(exported)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=_environment(staging, app, ctx.token_key, clients_file))
        said = ""
        while "waits for" not in said and (line := exporting.stderr.readline()):
            said += line
        writing = threading.Thread(target=period_sie_file.write_sie_file, args=(ctx, year))
        writing.start()
        deadline = time.monotonic() + 60
        while "the SIE file of client medium waits for" not in caplog.text:
            assert time.monotonic() < deadline and writing.is_alive(), "the sync's file never waited"
            time.sleep(0.05)
        time.sleep(1)
        assert exporting.poll() is None and writing.is_alive() and not exported.exists(), "nothing is read meanwhile"
    out, err = exporting.communicate(timeout=120)
    writing.join(timeout=120)
    assert f"the export of exported.se by {getpass.getuser()} waits for the import of supplied.se by anna" in said, said + err
    assert exporting.returncode == 0 and exported.exists(), err
    assert not writing.is_alive() and period_sie_file.sie_path(ctx, dt.date(2025, 1, 1), dt.date(2025, 12, 31)).exists()


def test_a_lease_whose_holder_died_is_taken_over_and_the_late_holder_writes_nothing(make_context):
    engine = make_context(CLIENT, connect=False).engine
    create_schema(engine)
    now = [1_000_000.0]
    late = BooksLease(engine, CLIENT.key, "2025-01-01", "the sync of client medium", seconds=60, clock=lambda: now[0])
    late.__enter__()  # and then its process hangs, past the lease
    now[0] += 61
    with BooksLease(engine, CLIENT.key, "2025-01-01", "the import of supplied.se by anna", clock=lambda: now[0]) as taker:
        with engine.begin() as connection:
            taker.hold(connection)
    with pytest.raises(BooksLeaseLost, match="another run took over the books of the year from 2025-01-01; nothing "
                                             "of this run was written. Run it again"), engine.begin() as connection:
        late.hold(connection)


def test_a_file_without_vouchers_is_refused_when_a_sync_stages_the_year_while_the_import_waits(
        make_context, companies, tmp_path, caplog):
    """The refusal of a voucherless file as cut short is decided again under the year's lease: the year had no
    staged vouchers when the import began, and has them by the time it may write."""
    ctx = make_context(CLIENT)
    token_upkeep.keep_tokens_alive(ctx)
    year = sync.extract_company(ctx, Period.parse("2025-12"))["years"][-1]
    whole = sie_file(companies[0], CURRENT_YEAR).decode("cp437")
    without_vouchers = tmp_path / "without_vouchers.se"
    without_vouchers.write_bytes(re.sub(r"^#VER .*?^}\r?\n", "", whole, flags=re.MULTILINE | re.DOTALL).encode("cp437"))
    outcome = []
    caplog.set_level(logging.INFO)
    with BooksLease(ctx.engine, CLIENT.key, year["from_date"], f"the sync of client {CLIENT.key}") as lease:
        importing = threading.Thread(target=lambda: outcome.append(_import_outcome(ctx, without_vouchers)))
        importing.start()
        deadline = time.monotonic() + 60
        while "the import of without_vouchers.se" not in caplog.text:
            assert time.monotonic() < deadline and importing.is_alive(), "the import never waited for the sync"
            time.sleep(0.05)
        staged = sync._load_financial_year(ctx, year, lease)["vouchers"]
    importing.join(timeout=120)
    assert staged and str(outcome[0]).startswith(
        f"{without_vouchers} holds no vouchers, where the staged year 2025-01-01..2025-12-31 has {staged:,}")
    assert active_import_source(ctx.engine, CLIENT.key, CURRENT_YEAR) == FORTNOX
    assert len(_staged_texts(ctx.engine)) == staged


def _import_outcome(ctx: ClientContext, path: Path) -> Exception | None:
    try:
        import_sie_file(ctx.engine, CLIENT, path)
    except SieImportRefused as refused:
        return refused
    return None
