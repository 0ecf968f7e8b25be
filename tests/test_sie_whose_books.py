"""Whose books a SIE file holds and what kind of file it is: the organisation-number guard (a sole
trader's personnummer, a file without #ORGNR only by choice, recorded), the client's financial year,
payroll and invoicing files (type 4I) as drafts for `vouchers add`, and the commands that never talk
to Fortnox running without the Fortnox app connection and the token key."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, inspect, text

from fortnox_etl.cli import main
from fortnox_etl.config import Client
from fortnox_etl.export.outbox import APPROVED, DRAFT, REJECTED, Outbox
from fortnox_etl.sandbox.sie_export import sie_file
from fortnox_etl.sie.import_source import active_import_sources
from fortnox_etl.period_end.sie_import import SieImportRefused, import_sie_file
from fortnox_etl.sie.reader import SieFile
from fortnox_etl.sie.whose_books import fiscal_year_problem
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from shared_material import shared_path
from test_cli_connect import connection_json

SOLE_TRADER = "S05_bl-admin-2021-enskild-firma_4E.se"  # #ORGNR 198605100000, a 12-digit personnummer
PAYROLL, INVOICING = "I02_visma-lon-100_4I.si", "I07_visma-fakturering_4I.si"  # #ORGNR 555555-5555


def engine_of(staging):
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    return engine


def corpus(name: str) -> Path:
    return shared_path("corpus", "sie", name)


def staged(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                for table in ("raw_vouchers", "raw_financial_years", "import_sources")}


def client_of(company, **changes) -> Client:
    info = company.company_information
    return dataclasses.replace(Client(key="acme", name=info["CompanyName"], organisation_number=info["OrganizationNumber"],
                                      fiscal_year_start_month=company.spec.fiscal_year_start_month), **changes)


def sandbox_file(company, tmp_path: Path, change=lambda text_: text_) -> Path:
    path = tmp_path / "supplied.se"
    content = sie_file(company, company.financial_years[-1]["Id"]).decode("cp437")
    path.write_bytes(change(content).encode("cp437"))
    return path


def orgnr_line(text_: str) -> str:
    return next(line for line in text_.split("\r\n") if line.startswith("#ORGNR"))


# --- the organisation-number guard of `sie import` ---


@pytest.mark.parametrize("configured", ["19860510-0000", "198605100000", "860510-0000", "8605100000"])
def test_a_sole_traders_file_imports_for_the_client_with_that_personnummer(staging, configured):
    engine = engine_of(staging)
    client = Client("solo", "Testbolaget Enskild firma", configured, fiscal_year_start_month=1)
    summary = import_sie_file(engine, client, corpus(SOLE_TRADER), imported_by="anna")
    assert (summary.vouchers, summary.start, summary.end) == (2, dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    assert not summary.without_orgnr
    [source] = active_import_sources(engine)["solo"]
    assert (source.source, source.file_name, source.without_orgnr) == ("file", SOLE_TRADER, False)


def test_another_companys_file_is_refused_naming_both_numbers_whatever_the_option(staging):
    engine = engine_of(staging)
    acme = Client("acme", "Acme Bygg & Montage AB", "556677-8899")
    for without_orgnr in (False, True):
        with pytest.raises(SieImportRefused) as refused:
            import_sie_file(engine, acme, corpus(SOLE_TRADER), without_orgnr=without_orgnr)
        message = str(refused.value)
        assert "is the books of 4 - Testbolaget Enskild firma (198605100000), not of client acme (556677-8899)" in message
        assert "Nothing was imported" in message
        assert ("--without-orgnr does not override a number the file states" in message) == without_orgnr
    assert set(staged(engine).values()) == {0}


@pytest.mark.parametrize("change, why", [
    (lambda t: t.replace(orgnr_line(t) + "\r\n", ""), "has no #ORGNR"),
    (lambda t: t.replace(orgnr_line(t), "#ORGNR "), "has no #ORGNR"),
    (lambda t: t.replace(orgnr_line(t), "#ORGNR 112233-4567"),
     "has #ORGNR 112233-4567, which is not an organisation number or personnummer (10 or 12 digits ending in the "
     "check digit)"),
])
def test_a_file_that_does_not_say_whose_books_imports_only_by_choice_and_the_choice_is_recorded(
        staging, companies, tmp_path, change, why):
    engine = engine_of(staging)
    company = companies[0]
    client = client_of(company)
    path = sandbox_file(company, tmp_path, change)

    with pytest.raises(SieImportRefused) as refused:
        import_sie_file(engine, client, path)
    assert str(refused.value) == (
        f"{path} {why}, so it does not say whose books it holds (Acme Bygg & Montage AB). If they are the books of "
        "client acme (556677-8899), import it again with --without-orgnr; that choice is recorded. Nothing was imported")
    assert set(staged(engine).values()) == {0}

    summary = import_sie_file(engine, client, path, imported_by="anna", without_orgnr=True)
    assert summary.without_orgnr and summary.vouchers == len(company.vouchers[company.financial_years[-1]["Id"]])
    with engine.connect() as connection:
        recorded = connection.execute(text("SELECT recorded_by, without_orgnr FROM import_sources")).one()
    assert (recorded.recorded_by, bool(recorded.without_orgnr)) == ("anna", True)
    [source] = active_import_sources(engine)["acme"]
    assert str(source).endswith("file supplied.se (imported --without-orgnr)"), "as `fortnox-etl status` shows it"


def test_a_file_that_names_the_client_records_no_choice_even_when_the_option_is_given(staging, companies, tmp_path):
    engine = engine_of(staging)
    company = companies[0]
    summary = import_sie_file(engine, client_of(company), sandbox_file(company, tmp_path), without_orgnr=True)
    assert not summary.without_orgnr
    [source] = active_import_sources(engine)["acme"]
    assert source.without_orgnr is False and "without" not in str(source)


def test_an_existing_staging_database_gets_the_new_column_once(staging):
    """A staging database made before `without_orgnr` existed: create_schema adds it, keeping the rows."""
    url = staging_url(staging)
    with create_engine(url).begin() as connection:
        connection.execute(text(
            "CREATE TABLE import_sources (import_id VARCHAR(36) PRIMARY KEY, client_key VARCHAR(40) NOT NULL, "
            "financial_year_id INTEGER NOT NULL, source VARCHAR(10) NOT NULL, file_name TEXT, sha256 VARCHAR(64), "
            "recorded_by TEXT NOT NULL, recorded_at VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO import_sources VALUES "
                                "('old', 'acme', 7, 'file', 'old.se', NULL, 'anna', '2026-01-01T00:00:00')"))
    engine = create_staging_engine(url)
    create_schema(engine)
    create_schema(engine)  # and again: nothing to add
    with engine.connect() as connection:
        assert "without_orgnr" in {column["name"] for column in inspect(connection).get_columns("import_sources")}
        assert [tuple(row) for row in connection.execute(text(
            "SELECT import_id, without_orgnr FROM import_sources"))] in ([("old", False)], [("old", 0)])


# --- the client's financial year ---


def test_a_year_that_is_not_the_clients_financial_year_is_refused_saying_both(staging, companies, tmp_path):
    engine = engine_of(staging)
    acme, norrsken = companies[0], companies[1]
    calendar_file = sandbox_file(acme, tmp_path)
    start, end = acme.financial_years[-1]["FromDate"], acme.financial_years[-1]["ToDate"]
    with pytest.raises(SieImportRefused) as refused:
        import_sie_file(engine, client_of(acme, fiscal_year_start_month=7), calendar_file)
    assert str(refused.value) == (
        f"{calendar_file} has the financial year {start}..{end} (#RAR 0), which ends on 31 December, but client "
        "acme's financial year runs July–June (fiscal_year_start_month: 7 in the client file). If the client's "
        "financial year is not (or no longer) as configured, set fiscal_year_start_month: 1 for acme in the client "
        "file; otherwise export the file for the client's own financial year. Nothing was imported")

    broken_year_file = sandbox_file(norrsken, tmp_path)
    with pytest.raises(SieImportRefused, match="which ends on 30 June, but client acme's financial year runs "
                                               r"January–December \(fiscal_year_start_month: 1 in the client file\)"):
        import_sie_file(engine, client_of(norrsken, fiscal_year_start_month=1), broken_year_file)
    assert set(staged(engine).values()) == {0}
    assert import_sie_file(engine, client_of(norrsken), broken_year_file).end.month == 6


@pytest.mark.parametrize("start, end, start_month, fits", [
    ("2025-01-01", "2025-12-31", 1, True),
    ("2025-03-15", "2025-12-31", 1, True),   # a company's first year, shorter
    ("2024-07-01", "2025-12-31", 1, True),   # the year that changes July–June to the calendar year, longer
    ("2024-09-01", "2025-08-31", 9, True),
    ("2025-01-01", "2025-12-31", 7, False),
    ("2025-01-01", "2025-12-15", 1, False),  # not a month's end: no start month to suggest
])
def test_which_years_fit_the_clients_financial_year(start, end, start_month, fits):
    sie = SieFile(years={0: (dt.date.fromisoformat(start), dt.date.fromisoformat(end))})
    problem = fiscal_year_problem(sie, Client("acme", "Acme", "556677-8899", fiscal_year_start_month=start_month))
    assert (problem is None) == fits
    if end.endswith("12-15"):
        assert problem.endswith("ends on 15 December, but client acme's financial year runs January–December "
                                "(fiscal_year_start_month: 1 in the client file). Export the file for the client's "
                                "own financial year")


# --- payroll and invoicing files (type 4I) ---


@pytest.mark.parametrize("name", [PAYROLL, INVOICING])
def test_sie_import_sends_a_payroll_or_invoicing_file_to_vouchers_add(staging, name):
    engine = engine_of(staging)
    path = corpus(name)
    with pytest.raises(SieImportRefused) as refused:
        import_sie_file(engine, Client("ovning", "Övningsbolaget AB", "555555-5555"), path)
    assert str(refused.value) == (
        f"{path} holds 1 voucher(s) and no balances: a transaction file (SIE type 4I) as payroll and invoicing "
        "programs write for posting into the books, not a year's books. Nothing was imported; to post its vouchers "
        f"to the client's Fortnox, add them as drafts: fortnox-etl vouchers add ovning {path}")
    assert set(staged(engine).values()) == {0}


# --- the commands, with neither the Fortnox app connection nor the token key ---


@pytest.fixture
def offline(staging, tmp_path, monkeypatch, capsys):
    """`fortnox-etl ...` with only the staging connection and the client file: no fortnox_app, no token key."""
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(yaml.safe_dump({"clients": [
        {"key": "acme", "name": "Acme Bygg & Montage AB", "organisation_number": "556677-8899"},
        {"key": "ovning", "name": "Övningsbolaget AB", "organisation_number": "5555555555"},
        {"key": "solo", "name": "Testbolaget Enskild firma", "organisation_number": "19860510-0000"},
    ]}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("AIRFLOW_CONN_FORTNOX_STAGING", connection_json(staging))
    monkeypatch.setenv("FORTNOX_ETL_CLIENTS", str(clients_file))
    monkeypatch.delenv("AIRFLOW_CONN_FORTNOX_APP", raising=False)
    monkeypatch.delenv("FORTNOX_ETL_TOKEN_KEY", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "no-airflow"))  # not the Airflow of a make demo in this checkout

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    run.outbox = lambda key: Outbox(create_staging_engine(staging_url(staging)), key)
    return run


def test_commands_that_never_talk_to_fortnox_need_neither_the_app_nor_the_token_key(offline, companies, tmp_path):
    supplied = sandbox_file(companies[0], tmp_path)
    code, out, err = offline("sie", "import", "acme", str(supplied))
    assert code == 0, err
    assert out.startswith(f"{supplied} is now the import source of acme") and "without" not in out

    year = companies[0].financial_years[-1]["FromDate"][:4]
    code, out, err = offline("sie", "export", "acme", "--year", year, "-o", str(tmp_path / "out.se"))
    assert code == 0 and "SIE4 file of acme" in out, err

    closing = tmp_path / "closing.csv"
    closing.write_text("voucher;series;date;text;account;debit;credit\n1;A;2025-12-31;Skatt;8910;100;\n"
                       "1;;;;2510;;100\n2;A;2025-12-31;Fond;8811;200;\n2;;;;2125;;200\n", encoding="utf-8")
    code, out, err = offline("vouchers", "add", "acme", str(closing))
    assert code == 0 and out.startswith("2 draft voucher(s) added to the outbox of acme"), err
    tax, fund = (voucher.outbox_id for voucher in offline.outbox("acme").vouchers())
    assert offline("vouchers", "approve", "acme", tax)[0] == 0
    assert offline("vouchers", "reject", "acme", fund, "--reason", "fel belopp")[0] == 0
    code, out, _ = offline("vouchers", "list", "acme")
    assert code == 0 and tax in out and fund in out
    assert [v.state for v in offline.outbox("acme").vouchers()] == [APPROVED, REJECTED]

    code, _, err = offline("status")
    assert code == 2 and "connection 'fortnox_app' is not configured: set AIRFLOW_CONN_FORTNOX_APP" in err, \
        "a command that talks to Fortnox still needs the app"


def test_sie_import_without_orgnr_by_command(offline, companies, tmp_path):
    path = sandbox_file(companies[0], tmp_path, lambda t: t.replace(orgnr_line(t) + "\r\n", ""))
    code, _, err = offline("sie", "import", "acme", str(path))
    assert code == 2 and "has no #ORGNR" in err and "import it again with --without-orgnr" in err
    code, out, err = offline("sie", "import", "acme", str(path), "--without-orgnr")
    assert code == 0, err
    assert ("It was taken as acme's books without an organisation number to check, as you chose; "
            "the import source records that.") in out


def test_vouchers_add_reads_payroll_and_invoicing_files_as_drafts(offline):
    code, out, err = offline("vouchers", "add", "ovning", str(corpus(INVOICING)), "--by", "anna")
    assert code == 0, err
    [invoices] = offline.outbox("ovning").vouchers()
    assert (invoices.state, invoices.voucher_series, invoices.transaction_date, invoices.description) == (
        DRAFT, "B", dt.date(2011, 3, 4), "Fakturajournal nr 109")
    assert [(r.account, r.debit_ore, r.credit_ore, r.row_text) for r in invoices.rows] == [
        (1510, 800000, 0, "Faktnr: 891, Namn: Karl Svensson"), (2611, 0, 160000, "Faktnr: 891, Namn: Karl Svensson"),
        (3051, 0, 640000, "Faktnr: 891, Namn: Karl Svensson")]

    payroll = corpus(PAYROLL)
    code, _, err = offline("vouchers", "add", "ovning", str(payroll))
    assert code == 2
    assert ("line 17: the voucher has no series (the program that wrote the file leaves it to the bookkeeping); "
            "give the Fortnox voucher series with --series") in err
    code, out, err = offline("vouchers", "add", "ovning", str(payroll), "--series", "L")
    assert code == 0, err
    salaries = next(v for v in offline.outbox("ovning").vouchers() if v.outbox_id != invoices.outbox_id)
    assert (salaries.voucher_series, salaries.description) == ("L", "Lönekörning: 2012-04-25 - Ordinarie lön")
    assert len(salaries.rows) == 8
    assert sum(r.debit_ore for r in salaries.rows) == sum(r.credit_ore for r in salaries.rows) == 6315782


def test_vouchers_add_checks_the_sie_files_orgnr_against_the_client(offline, tmp_path):
    code, _, err = offline("vouchers", "add", "acme", str(corpus(INVOICING)))
    assert code == 2
    assert (f"{INVOICING} is the books of Övningsbolaget AB (555555-5555), not of client acme (556677-8899). "
            "Add it for the client it belongs to") in err and "Nothing was added" in err
    assert offline.outbox("acme").vouchers() == []

    closing = tmp_path / "bokslut.se"
    closing.write_text('#FLAGGA 0\n#SIETYP 4\n#FNAMN "Acme"\n#VER A "" 20251231 "Skatt 2025"\n{\n'
                       "#TRANS 8910 {} 5000.00\n#TRANS 2510 {} -5000.00\n}\n", encoding="utf-8")
    code, _, err = offline("vouchers", "add", "acme", str(closing))
    assert code == 2 and "bokslut.se has no #ORGNR" in err and "add it again with --without-orgnr" in err
    code, _, err = offline("vouchers", "add", "acme", str(closing), "--without-orgnr")
    assert code == 0, err
    [voucher] = offline.outbox("acme").vouchers()
    assert voucher.source == "bokslut.se line 4 (--without-orgnr)", "the approver sees the choice"

    code, _, err = offline("vouchers", "add", "solo", str(corpus(SOLE_TRADER)), "--series", "A")
    assert code == 0, err
    assert len(offline.outbox("solo").vouchers()) == 2, "a sole trader's file, its personnummer written 12 digits"
