"""Write a client's financial year from the SIE tables as a SIE 4 file (CP437, as Fortnox does).

Every record of sie4.md that the tables hold is written, streaming: memory does not grow with the
year. A file "as of" a period's end holds the vouchers up to that day and the year-to-date
balances (#UB #RES #OUB #PSALDO up to it); the previous year (#RAR -1) is always complete.
"""
from __future__ import annotations

import codecs
import datetime as dt
import encodings.cp437
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from fortnox_etl.sie.fields import (OBJECT_LIST_DIMENSION, SRU_CODES_SEPARATOR, Memo, amount, object_list, quote, sie_date,
                                    token)
from fortnox_etl.sie.in_background import InBackground
from fortnox_etl.sie.reader import Checksum, split_fields
from fortnox_etl.staging.database import sql

PROGRAM_NAME = "fortnox-etl"
PROGRAM_VERSION = "0.1"
_HEADERS_BEFORE_COMPANY = ("#PROSA", "#FTYP")
_HEADERS_AFTER_YEARS = ("#TAXAR",)
_HEADERS_AFTER_SCOPE = ("#KPTYP", "#VALUTA")
_FETCH_ROWS = 5000
_EMPTY = '""'  # an optional field left empty
_CP437 = codecs.charmap_build(encodings.cp437.decoding_table)  # a fast table; the codec's own is a dict


@dataclass(frozen=True)
class SieSummary:
    path: Path
    accounts: int
    vouchers: int
    transactions: int


class SieDataMissing(LookupError):
    """The SIE tables hold nothing for the requested client and year: sync it first."""


class SieRequestInvalid(ValueError):
    """The file asked for cannot be written as asked (an as-of date that is no period's end)."""


@dataclass(frozen=True)
class StagedYear:
    financial_year_id: int
    start_date: dt.date
    end_date: dt.date


def staged_financial_year(engine: Engine, client_key: str, start_year: int) -> StagedYear:
    """The client's staged financial year that starts in the calendar year `start_year`."""
    with engine.connect() as connection:
        years = [StagedYear(row.financial_year_id, _date(row.start_date), _date(row.end_date)) for row in
                 connection.execute(text(sql("sie/select_financial_years")), {"client_key": client_key})]
    found = next((year for year in years if year.start_date.year == start_year), None)
    if found is None:
        staged = ", ".join(f"{year.start_date}..{year.end_date}" for year in years) or "none"
        raise SieDataMissing(f"client {client_key}: staging holds no financial year starting in {start_year} "
                             f"(it holds {staged}); sync the client for a period of that year, or import its SIE4 file")
    return found


class _Out:
    """Writes records, one a line, and keeps the #KSUMMA control sum of what it wrote when asked to.

    Lines are written in blocks, CP437 with CR LF: encoding a block at once costs a fraction of a line
    at a time.
    """

    _BLOCK_LINES = 10_000

    def __init__(self, stream, checksum: bool) -> None:
        self.stream = stream
        self.checksum = Checksum() if checksum else None
        self.lines: list[str] = []

    def record(self, line: str) -> None:
        self.lines.append(line)
        if self.checksum is not None:
            fields = split_fields(line, 0) if line.startswith("#") else []
            self.checksum.add(fields[0] if fields else line, fields[1:])
        if len(self.lines) >= self._BLOCK_LINES:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.lines.append("")
            block = "\n".join(self.lines).replace("\n", "\r\n")
            self.stream.write(codecs.charmap_encode(block, "replace", _CP437)[0])
            self.lines.clear()

    def text(self, block: str) -> None:
        """Records already formatted, CR LF included."""
        self.flush()
        self.stream.write(codecs.charmap_encode(block, "replace", _CP437)[0])

    def open_checked_part(self) -> None:
        if self.checksum is not None:
            self.lines.append("#KSUMMA")
            self.checksum.start(0)

    def close_checked_part(self) -> None:
        if self.checksum is not None:
            self.lines.append(f"#KSUMMA {self.checksum.value}")


def year_to_date(end: dt.date, as_of: dt.date | None) -> dt.date:
    """The as-of date of a file of the year ending `end`: the year's end unless an earlier month's end is asked for."""
    if as_of is None or as_of >= end:
        return end
    if (as_of + dt.timedelta(days=1)).day != 1:
        raise SieRequestInvalid(f"a SIE file is written as of a period's end (a month's last day), not {as_of}; "
                                "give the last day of the period")
    return as_of


def write_sie4(engine: Engine, client_key: str, financial_year_id: int, path: Path,
               generated_on: dt.date | None = None, as_of: dt.date | None = None,
               checksum: bool = False) -> SieSummary:
    """Write the file next to its final name and rename it, so a reader never sees half a file.

    `as_of` (default: the year's end) must be a month's last day inside the year; `checksum`
    adds the #KSUMMA control sum.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with engine.connect() as connection, open(partial, "wb") as out:
            lines = _Out(out, checksum)
            counts = _write(connection, lines, client_key, financial_year_id, generated_on or dt.date.today(), as_of)
            lines.flush()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)  # nothing half-written is left behind
        raise
    return SieSummary(path, *counts)


def _write(connection, out: _Out, client_key: str, financial_year_id: int, generated_on: dt.date,
           as_of: dt.date | None) -> tuple[int, int, int]:
    def rows(name: str, **params):
        return connection.execute(text(sql(f"sie/{name}")), {"client_key": client_key, **params}).mappings()

    company = rows("select_company").first()
    years = list(rows("select_financial_years"))
    position = next((i for i, year in enumerate(years) if year["financial_year_id"] == financial_year_id), None)
    if company is None or position is None:
        raise SieDataMissing(f"client {client_key}: no SIE data for financial year {financial_year_id}; run the sync first")
    current = years[position]
    year_end = _date(current["end_date"])
    as_of = year_to_date(year_end, as_of)
    if as_of < _date(current["start_date"]):
        raise SieRequestInvalid(f"as-of date {as_of} is before the financial year {current['start_date']}..{year_end}")
    indexed_years = [(index, years[position + index]) for index in (0, -1) if position + index >= 0]
    headers: dict[str, list[str]] = {}
    for header in rows("select_headers", financial_year_id=financial_year_id):
        headers.setdefault(header["label"], []).append(header["fields"])

    def copied(labels):
        for label in labels:
            for fields in headers.get(label, []):
                out.record(f"{label} {fields}")

    out.record("#FLAGGA 0")
    out.open_checked_part()
    out.record(f"#PROGRAM {quote(PROGRAM_NAME)} {PROGRAM_VERSION}")
    out.record("#FORMAT PC8")
    out.record(f"#GEN {sie_date(generated_on)}")
    out.record("#SIETYP 4")
    copied(_HEADERS_BEFORE_COMPANY)
    # The year's source's own #FNR and #ORGNR (as text, every field) when it states them.
    if "#FNR" in headers:
        copied(("#FNR",))
    elif company["fnr"]:
        out.record(f"#FNR {quote(company['fnr'])}")
    if "#ORGNR" in headers:
        copied(("#ORGNR",))
    else:
        out.record(f"#ORGNR {company['orgnr']}")
    if "#ADRESS" in headers:
        copied(("#ADRESS",))
    elif company["adress_street"] or company["adress_postal"]:
        out.record(f"#ADRESS \"\" {quote(company['adress_street'])} {quote(company['adress_postal'])} "
                   f"{quote(company['adress_phone'])}")
    out.record(f"#FNAMN {quote(company['fnamn'])}")
    for index, year in indexed_years:
        out.record(f"#RAR {index} {sie_date(year['start_date'])} {sie_date(year['end_date'])}")
    copied(_HEADERS_AFTER_YEARS)
    if "#OMFATTN" in headers and as_of == year_end:
        copied(("#OMFATTN",))  # the whole year: the date the source's balances are as of
    else:
        out.record(f"#OMFATTN {sie_date(as_of)}")
    if "#KPTYP" not in headers and current["kptyp"]:
        out.record(f"#KPTYP {quote(current['kptyp'])}")
    copied(_HEADERS_AFTER_SCOPE)

    accounts = 0
    for account in rows("select_accounts", financial_year_id=financial_year_id):
        out.record(f"#KONTO {account['account']} {quote(account['name'])}")
        out.record(f"#KTYP {account['account']} {account['account_type']}")
        for code in account["sru"].split(SRU_CODES_SEPARATOR) if account["sru"] is not None else ():
            out.record(f"#SRU {account['account']} {token(code)}")
        if account["unit"] is not None:
            out.record(f"#ENHET {account['account']} {quote(account['unit'])}")
        accounts += 1
    for dimension in rows("select_dimensions", financial_year_id=financial_year_id):
        if dimension["parent_dimension_no"] is None:
            out.record(f"#DIM {dimension['dimension_no']} {quote(dimension['name'])}")
        else:
            out.record(f"#UNDERDIM {dimension['dimension_no']} {quote(dimension['name'])} "
                       f"{dimension['parent_dimension_no']}")
    for item in rows("select_objects", financial_year_id=financial_year_id):
        out.record(f"#OBJEKT {item['dimension_no']} {quote(item['object_id'])} {quote(item['name'])}")

    lists: dict[str, list[tuple[int, str]]] = {}  # the balance lines' lists of several objects, by key
    for item in rows("select_object_lists"):
        lists.setdefault(item["list_key"], []).append((item["dimension_no"], item["object_id"]))
    for index, year in indexed_years:
        until = as_of if index == 0 else _date(year["end_date"])
        whole_year = until == _date(year["end_date"])
        params = {"financial_year_id": year["financial_year_id"], "last_period": f"{until:%Y%m}"}
        for balance in rows("select_balances" if whole_year else "select_balances_to_date", **params):
            out.record(f"#{balance['balance_type']} {index} {balance['account']} {amount(balance['amount_ore'])}")
        for balance in rows("select_object_balances" if whole_year else "select_object_balances_to_date", **params):
            out.record(f"#{balance['balance_type']} {index} {balance['account']} {_objects(balance, lists)} "
                       f"{amount(balance['amount_ore'])}")
        for balance in rows("select_period_balances", **params):
            out.record(f"#PSALDO {index} {balance['period']} {balance['account']} {_objects(balance, lists)} "
                       f"{amount(balance['amount_ore'])}")
        for budget in rows("select_period_budgets", financial_year_id=financial_year_id, year_index=index):
            out.record(f"#PBUDGET {index} {budget['period']} {budget['account']} {_objects(budget, lists)} "
                       f"{amount(budget['amount_ore'])}")

    vouchers, transactions = _write_vouchers(connection, out, client_key, financial_year_id, as_of)
    out.close_checked_part()
    return accounts, vouchers, transactions


def _write_vouchers(connection, out: _Out, client_key: str, financial_year_id: int,
                    as_of: dt.date) -> tuple[int, int]:
    """Heads, rows and objects come as three streams in the same key order; vouchers after `as_of` are skipped.

    On PostgreSQL the database formats the records, unless the control sum needs each record here or
    rows carry object lists beyond a cost centre and a project (files from other programs).
    """
    params = {"client_key": client_key, "financial_year_id": financial_year_id}
    if (connection.dialect.name == "postgresql" and out.checksum is None
            and not connection.execute(text(sql("sie/count_row_object_lists")), params).scalar()):
        return _write_formatted_vouchers(connection, out, client_key, financial_year_id, as_of)
    rows = _stream(connection, "select_transactions", params)
    objects = _stream(connection, "select_transaction_objects", params)
    last_day = sie_date(as_of)
    dates, texts, quantities = Memo(sie_date), Memo(quote), Memo(_quantity)
    vouchers = transactions = 0
    row, item = next(rows, None), next(objects, None)
    for series, number, voucher_date, registration_date, voucher_text, signature in _stream(
            connection, "select_vouchers", params):
        day = dates[voucher_date]
        written = day <= last_day
        if written:
            head = f"#VER {texts[series]} {number} {day} {texts[voucher_text]}"
            if registration_date or signature is not None:  # "" holds the place of a sign's missing date
                head += f" {dates[registration_date] if registration_date else _EMPTY}"
            out.record(head if signature is None else f"{head} {texts[signature]}")
            out.record("{")
            vouchers += 1
        while row is not None and row[1] == number and row[0] == series:
            row_no = row[2]
            pairs = []
            while item is not None and item[2] == row_no and item[1] == number and item[0] == series:
                pairs.append(f"{item[3]} {texts[item[4]]}")
                item = next(objects, None)
            if written:
                record_type, account, amount_ore, trans_text, quantity, trans_date, signature = row[3:]
                fields = (f"{account} {{{' '.join(pairs)}}} {amount(amount_ore)} "
                          f"{dates[trans_date] if trans_date else _EMPTY} {texts[trans_text]}")
                plain = fields if quantity is None else f"{fields} {quantities[quantity]}"
                if signature is None:
                    out.record(f"#{record_type} {plain}")
                else:  # "" holds the place of a sign's missing quantity
                    out.record(f"#{record_type} {fields} {_EMPTY if quantity is None else quantities[quantity]} "
                               f"{texts[signature]}")
                if record_type == "RTRANS":  # the same row again, for readers that predate #RTRANS, unsigned as Fortnox writes it
                    out.record(f"#TRANS {plain}")
                transactions += 1
            row = next(rows, None)
        if written:
            out.record("}")
    if row is not None:
        raise _orphan_rows(client_key, financial_year_id, row[0], row[1])
    return vouchers, transactions


def _orphan_rows(client_key: str, financial_year_id: int, series: str, number: int) -> SieDataMissing:
    """Rows whose voucher staging lacks: written without it, the file would lose them unnoticed."""
    return SieDataMissing(f"client {client_key}: staging holds rows of voucher {series} {number} of financial year "
                          f"{financial_year_id} but not the voucher itself; sync the year again")


def _write_formatted_vouchers(connection, out: _Out, client_key: str, financial_year_id: int,
                              as_of: dt.date) -> tuple[int, int]:
    """The vouchers as PostgreSQL formats them (sie/select_voucher_records), in blocks: a thread encodes
    and writes one block while the database formats the next. Rows without their voucher are found by
    count, after the file's vouchers; the file is then left unfinished, as on the portable path."""
    # Compiling the query to machine code (JIT, on by default) took longer than running it.
    connection.exec_driver_sql("SET LOCAL jit = off")
    params = {"client_key": client_key, "financial_year_id": financial_year_id, "as_of": as_of}
    vouchers = transactions = rows_of_vouchers = 0
    rows_of_year = None  # with no voucher at all, any row of the year lacks its voucher
    block: list[str] = []
    with InBackground(out.text, "sie-writer") as writer:
        for records, rows, rows_of_year in _stream(connection, "select_voucher_records", params):
            rows_of_vouchers += rows
            if records is None:  # after as_of
                continue
            block.append(records)
            vouchers += 1
            transactions += rows
            if len(block) >= _FETCH_ROWS:
                writer.put("".join(block))
                block.clear()
        writer.put("".join(block))
    if rows_of_year != rows_of_vouchers:
        orphan = connection.execute(text(sql("sie/select_rows_without_voucher")), params).first()
        if orphan is not None:
            raise _orphan_rows(client_key, financial_year_id, *orphan)
    return vouchers, transactions


def _stream(connection, name: str, params: dict):
    """A query's rows as tuples, in blocks. On PostgreSQL through the driver's own server-side cursor:
    SQLAlchemy's row-by-row fetching from one took longer than the query and the writing together."""
    statement = text(sql(f"sie/{name}"))
    if connection.dialect.name != "postgresql":
        yield from connection.execute(statement, params)
        return
    with connection.connection.driver_connection.cursor(name=f"sie_{name}") as cursor:
        cursor.execute(str(statement.compile(dialect=connection.dialect)), params)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield from rows


def _objects(balance, lists: dict[str, list[tuple[int, str]]]) -> str:
    """A balance line's {object list}: none, its object, or its list of several (OBJECT_LIST_DIMENSION)."""
    dimension, item = balance["dimension_no"], balance["object_id"]
    if dimension == OBJECT_LIST_DIMENSION:
        return object_list(lists[item])
    return object_list([(dimension, item)] if dimension else [])


def _quantity(value) -> str:
    quantity = Decimal(str(value)).normalize()
    return format(quantity, "f") if quantity else "0"


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
