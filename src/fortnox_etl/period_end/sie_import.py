"""`fortnox-etl sie import`: a supplied SIE4 file becomes the staged books of its financial year.

The file is read and checked completely before anything is written: a line that cannot be read,
another company's organisation number (or none, unless the operator says the file is the client's),
a year that is not one of the client's financial years, a payroll or invoicing file (its vouchers are
drafts for `vouchers add`) or a broken rule of the format refuses the whole file.
Then, in one transaction, it replaces the client-year's raw partition, the SIE tables are rebuilt
from it, and the file (name, sha256, who, when) is recorded as the year's active import source.
Then the period checks (`checks`) run on the imported books as on a sync's, and their findings gate the
year's periods. A later Fortnox sync of the year makes Fortnox the source again.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from fortnox_etl.config import Client
from fortnox_etl.period_end.checks import CheckResult, check_staged_year
from fortnox_etl.sie.import_source import FILE, record_import_source
from fortnox_etl.sie.reader import SieFile, SieSyntaxError, parse_sie
from fortnox_etl.sie.rules import unstageable_vouchers
from fortnox_etl.sie.staging import (
    build_sie_client,
    build_sie_year,
    small_number,
    stage_sie_year,
)
from fortnox_etl.sie.whose_books import (
    fiscal_year_problem,
    is_transaction_file,
    organisation_problem,
    says_whose_books,
)
from fortnox_etl.staging.books_lease import BooksLease
from fortnox_etl.staging.database import run_sql, sql

_SHOWN_PROBLEMS = 5
EMPTY_YEAR_OPTION = "--empty-year"


class SieImportRefused(ValueError):
    """The file cannot be imported; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class ImportSummary:
    client_key: str
    financial_year_id: int
    start: object
    end: object
    accounts: int
    vouchers: int
    transactions: int
    sha256: str
    without_orgnr: bool = False  # taken as the client's books though the file does not say whose they are
    findings: tuple[CheckResult, ...] = ()  # the period checks the imported books failed (stored in check_results)


def import_sie_file(engine: Engine, client: Client, path: Path, imported_by: str | None = None,
                    without_orgnr: bool = False, empty_year: bool = False) -> ImportSummary:
    """Import the file as the client's books of its year; `without_orgnr` takes a file that does not say
    whose books it holds as the client's, and is recorded with the import; `empty_year` takes a file
    without vouchers (a year with nothing booked) where it would otherwise be refused as cut short."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SieImportRefused(f"{path} cannot be read ({error.strerror}); give the path of a SIE4 file") from None
    try:
        sie = parse_sie(data)
    except SieSyntaxError as error:
        if error.line_no is None:  # the file as a whole: empty, not SIE, cut, in an encoding not read
            raise SieImportRefused(f"{path}: {error.reason}. Nothing was imported; export the file again") from None
        raise SieImportRefused(f"{path}, line {error.line_no}: {error.reason}. Nothing was imported; "
                               "correct the line or export the file again") from None
    _check_whose_books(client, sie, path, without_orgnr)
    refuse_if_cut_short = not sie.vouchers and not empty_year
    if refuse_if_cut_short:  # named as cut short before anything else the file's contents may fail
        with engine.connect() as connection:
            _refuse_as_cut_short(connection, client.key, sie, path)
    _check(client, sie, path)
    sha256 = hashlib.sha256(data).hexdigest()
    without_orgnr = not says_whose_books(sie)
    start, end = sie.years[0]
    key = client.key
    load = {"load_id": str(uuid.uuid4()), "loaded_at": _now()}
    imported_by = imported_by or getpass.getuser()
    # The year's books lease: a sync of the year waits for this import, or this import for it.
    with BooksLease(engine, key, start.isoformat(), f"the import of {path.name} by {imported_by}") as lease, \
            engine.begin() as connection:
        lease.hold(connection)
        if refuse_if_cut_short:  # again under the lease: a sync may have staged the year's vouchers meanwhile
            _refuse_as_cut_short(connection, key, sie, path)
        financial_year_id = _financial_year(connection, key, sie, 0, load, path)
        previous_year_id = _financial_year(connection, key, sie, -1, load, path) if -1 in sie.years else None
        if not _count(connection, "count_staged_company", client_key=key):
            _stage_company(connection, key, sie, load)
        partition = {"client_key": key, "financial_year_id": financial_year_id, **load}
        staged = stage_sie_year(connection, partition, sie, sie.vouchers)
        build_sie_client(connection, key)
        build_sie_year(connection, key, financial_year_id)
        run_sql(connection, "transform/sie_stated_balances", client_key=key, financial_year_id=financial_year_id)
        if previous_year_id is not None and not _count(connection, "count_staged_accounts", client_key=key,
                                                        financial_year_id=previous_year_id):
            run_sql(connection, "transform/sie_stated_previous_year", client_key=key,
                    financial_year_id=financial_year_id, previous_year_id=previous_year_id)
        record_import_source(connection, key, financial_year_id, FILE, recorded_by=imported_by,
                             file_name=path.name, sha256=sha256, without_orgnr=without_orgnr)
        _record_load(connection, key, financial_year_id, load)
    # The books as they are, inconsistencies included, checked as a sync's are: the findings gate the year's
    # periods as a sync's do.
    results = check_staged_year(engine, client, financial_year_id, end)
    return ImportSummary(key, financial_year_id, start, end, staged.accounts, staged.vouchers, staged.voucher_rows,
                         sha256, without_orgnr=without_orgnr,
                         findings=tuple(result for result in results if result.failed))


def _record_load(connection: Connection, client_key: str, financial_year_id: int, load: dict) -> None:
    """The import as the year's load, with what it staged, for the checks of the counts."""
    staged = connection.execute(text(sql("load/count_staged_year")),
                                {"client_key": client_key, "financial_year_id": financial_year_id}).one()
    connection.execute(text(sql("load/insert_load_run")), {
        "load_id": load["load_id"], "client_key": client_key, "financial_year_id": financial_year_id,
        "started_at": load["loaded_at"], "finished_at": _now(), "requests": 0, "accounts": staged.accounts,
        "vouchers": staged.vouchers, "voucher_rows": staged.voucher_rows, "fortnox_accounts_reported": None,
        "fortnox_vouchers_reported": None})


def _refuse_as_cut_short(connection: Connection, client_key: str, sie: SieFile, path: Path) -> None:
    """A file without vouchers is the end of a file cut at a line boundary more often than an empty year:
    refused, before its contents are checked, where the staged year has vouchers, or where the file has
    no balances either."""
    start, end = sie.years.get(0, (None, None))
    staged = 0
    if start is not None:
        for year in connection.execute(text(sql("import_source/select_overlapping_years")), {
                "client_key": client_key, "from_date": start.isoformat(), "to_date": end.isoformat()}).mappings():
            staged += connection.execute(text(sql("load/count_staged_year")), {
                "client_key": client_key, "financial_year_id": year["financial_year_id"]}).one().vouchers
    if staged:
        raise SieImportRefused(
            f"{path} holds no vouchers, where the staged year {start}..{end} has {staged:,}: "
            "the file seems cut short. Nothing was imported; export the file again, or, if the year truly has no "
            f"vouchers, import it with {EMPTY_YEAR_OPTION}")
    if not (sie.opening or sie.closing or sie.results):
        raise SieImportRefused(
            f"{path} ends before its balances and vouchers: it holds neither, as a file cut short after its header "
            f"does. Nothing was imported; export the file again, or, if the year truly is empty, import it with "
            f"{EMPTY_YEAR_OPTION}")


def _check_whose_books(client: Client, sie: SieFile, path: Path, without_orgnr: bool) -> None:
    if sie.header("#SIETYP", "4") == "4" and is_transaction_file(sie):
        raise SieImportRefused(
            f"{path} holds {len(sie.vouchers):,} voucher(s) and no balances: a transaction file (SIE type 4I) as "
            "payroll and invoicing programs write for posting into the books, not a year's books. Nothing was "
            f"imported; to post its vouchers to the client's Fortnox, add them as drafts: "
            f"fortnox-etl vouchers add {client.key} {path}")
    problem = organisation_problem(sie, client, without_orgnr, "import") or (
        fiscal_year_problem(sie, client) if 0 in sie.years else None)
    if problem:
        raise SieImportRefused(f"{path} {problem}. Nothing was imported")


def _check(client: Client, sie: SieFile, path: Path) -> None:
    if sie.header("#SIETYP", "4") != "4":
        raise SieImportRefused(f"{path} is a SIE type {sie.header('#SIETYP')} file without vouchers; "
                               "export a SIE type 4 file and import that")
    if 0 not in sie.years:
        raise SieImportRefused(f"{path} has no #RAR 0, so its financial year is unknown; export the file again")
    if -1 in sie.years and sie.years[-1][1] >= sie.years[0][0]:
        raise SieImportRefused(f"{path}: its previous year {sie.years[-1][0]}..{sie.years[-1][1]} (#RAR -1) does not "
                               f"end before its year {sie.years[0][0]}..{sie.years[0][1]} (#RAR 0) begins. Nothing was "
                               "imported; export the file again")
    for voucher in sie.vouchers:
        if not voucher.number.isdigit():
            raise SieImportRefused(f"{path}, line {voucher.line_no}: voucher number {voucher.number!r} is not a "
                                   "number; import a file whose vouchers are numbered")
    # Only vouchers no books can hold refuse the file; every other inconsistency of the books is staged
    # and reported by the period's checks (sie4.md).
    problems = unstageable_vouchers(sie)
    if problems:
        shown = "; ".join(problems[:_SHOWN_PROBLEMS]) + ("; …" if len(problems) > _SHOWN_PROBLEMS else "")
        raise SieImportRefused(f"{path} has {len(problems)} voucher(s) that cannot be taken over: {shown}. "
                               "Nothing was imported; correct them in the program that wrote the file and export again")


def _financial_year(connection: Connection, client_key: str, sie: SieFile, index: int, load: dict, path: Path) -> int:
    """The staged year with the file's dates; a year staging does not know yet is added with an id of its own.

    Such an id is negative (-YYYYMMDD of the start) so that it never meets one of Fortnox's.
    """
    start, end = sie.years[index]
    overlapping = connection.execute(text(sql("import_source/select_overlapping_years")), {
        "client_key": client_key, "from_date": start.isoformat(), "to_date": end.isoformat()}).mappings().all()
    for year in overlapping:
        if (str(year["from_date"])[:10], str(year["to_date"])[:10]) == (start.isoformat(), end.isoformat()):
            return year["financial_year_id"]
    if overlapping:
        year = overlapping[0]
        raise SieImportRefused(
            f"{path}: its year {start}..{end} (#RAR {index}) overlaps the client's financial year "
            f"{year['from_date']}..{year['to_date']}; export the file for that year")
    financial_year_id = -int(f"{start:%Y%m%d}")
    connection.execute(text(sql("load/insert_raw_financial_years")), {
        "client_key": client_key, **load, "financial_year_id": financial_year_id, "from_date": start.isoformat(),
        "to_date": end.isoformat(), "account_chart_type": sie.header("#KPTYP") or None, "accounting_method": None,
    })
    return financial_year_id


def _stage_company(connection: Connection, client_key: str, sie: SieFile, load: dict) -> None:
    address = [str(field) for field in sie.labels.get("#ADRESS", [])] + [""] * 4
    fnr = sie.header("#FNR")
    connection.execute(text(sql("load/insert_raw_company_information")), {
        "client_key": client_key, **load, "company_name": sie.header("#FNAMN"),
        "organisation_number": sie.header("#ORGNR"), "database_number": small_number(fnr),
        "address": address[1] or None, "zip_code": address[2] or None, "city": None, "phone": address[3] or None,
    })


def _count(connection: Connection, name: str, **params) -> int:
    return connection.execute(text(sql(f"import_source/{name}")), params).scalar()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
