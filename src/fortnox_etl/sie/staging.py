"""A SIE 4 file of one client-year into the raw tables, and the SIE tables built from them.

Shared by the sync (Fortnox's SIE export) and the import of a supplied file, so that both sources
land in the same tables the same way.
"""
from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial

from sqlalchemy import Connection, text

from fortnox_etl.sie.fields import OBJECT_LIST_DIMENSION, SRU_CODES_SEPARATOR, Memo, token
from fortnox_etl.sie.in_background import InBackground
from fortnox_etl.sie.reader import (Objects, PlainVoucher, SieFile, SieStream, SieSyntaxError, Voucher, object_pairs,
                                    row_date, split_fields)
from fortnox_etl.sie.rules import ACCOUNT_TYPES, account_order, is_balance_account
from fortnox_etl.staging.database import run_sql, sql

COST_CENTER_DIMENSION, PROJECT_DIMENSION = 1, 6
_COST_CENTER, _PROJECT = str(COST_CENTER_DIMENSION), str(PROJECT_DIMENSION)  # as an object list writes them
# The SIE tables of one client-year, in build order: the year's rows are read once into year_movements and
# year_object_movements (temporary tables, dropped once the balances, object balances and period balances
# are made from them).
# The voucher tables' statistics are refreshed before the rows are read, the balance tables' after, for
# the writer's and the checks' queries.
SIE_YEAR_TRANSFORMS = ("sie_accounts", "sie_headers", "sie_dimensions", "sie_objects", "sie_statistics",
                       "year_movements", "year_object_movements", "sie_balances", "sie_object_balances",
                       "sie_period_balances", "drop_year_movements", "sie_balance_statistics")
SIE_CLIENT_TRANSFORMS = ("sie_company", "sie_financial_years")
# Header records kept as the source wrote them; the rest are ours to write or come from elsewhere.
_STAGED_HEADERS = ("#PROSA", "#FTYP", "#FNR", "#ORGNR", "#ADRESS", "#FNAMN", "#TAXAR", "#OMFATTN", "#KPTYP", "#VALUTA")
_STATED = (("IB", "opening"), ("UB", "closing"), ("RES", "results"))
_BLOCK_ROWS = 20_000  # rows per executemany: large enough to be fast, small enough to stay flat
# The rows are tuples in the column order of load/insert_raw_vouchers.sql and insert_raw_voucher_rows.sql
# (a dict per row cost as much as the COPY); _checked_table refuses to run if a file's order changes.
_VOUCHER_COLUMNS = ("client_key", "financial_year_id", "voucher_series", "voucher_number", "transaction_date",
                    "registration_date", "description", "reference_number", "reference_type", "comments",
                    "signature", "load_id", "loaded_at")
_VOUCHER_ROW_COLUMNS = ("client_key", "financial_year_id", "voucher_series", "voucher_number", "row_no", "account",
                        "debit_ore", "credit_ore", "description", "transaction_information", "cost_center",
                        "project", "quantity", "removed", "added_after_registration", "row_date", "signature",
                        "load_id", "loaded_at")
_ROW_OBJECT_COLUMNS = ("client_key", "financial_year_id", "voucher_series", "voucher_number", "row_no", "position",
                       "dimension_no", "object_id", "load_id", "loaded_at")


class StagedVouchers(AbstractSet):
    """The (series, number) of every staged voucher, as a set, kept as a sorted array of numbers per
    series: a million vouchers take 8 MB, where a set of tuples takes over 100 MB."""

    def __init__(self) -> None:
        self._numbers: dict[str, array] = {}
        self._sorted = True

    def add(self, series: str, number: int) -> None:
        numbers = self._numbers.get(series)
        if numbers is None:
            numbers = self._numbers[series] = array("q")
        if numbers and numbers[-1] > number:
            self._sorted = False
        numbers.append(number)

    def __contains__(self, voucher) -> bool:
        series, number = voucher
        numbers = self._in_order().get(series, ())
        position = bisect_left(numbers, number)
        return position < len(numbers) and numbers[position] == number

    def __iter__(self) -> Iterator[tuple[str, int]]:
        for series, numbers in self._in_order().items():
            for number in numbers:
                yield series, number

    def __len__(self) -> int:
        return sum(len(numbers) for numbers in self._numbers.values())

    @classmethod
    def _from_iterable(cls, vouchers) -> set:
        return set(vouchers)  # what `listed - staged` and the like return

    def _in_order(self) -> dict[str, array]:
        if not self._sorted:
            self._numbers = {series: array("q", sorted(numbers)) for series, numbers in self._numbers.items()}
            self._sorted = True
        return self._numbers


@dataclass(frozen=True)
class StagedSie:
    """What stage_sie_year loaded: row counts, and each staged voucher as (series, number)."""
    accounts: int
    vouchers: int
    voucher_rows: int
    staged: StagedVouchers


def stage_sie_year(connection: Connection, partition: dict, sie: SieFile, vouchers: Iterable[Voucher],
                   heads: dict[tuple[str, int], dict] | None = None,
                   accounts: list[dict] | None = None, from_date: str | None = None) -> StagedSie:
    """Replace a client-year's raw partition with a SIE 4 file's books, in the caller's transaction.

    `partition` holds client_key, financial_year_id, load_id and loaded_at. `vouchers` are the file's
    vouchers, read once: a SieStream, with `sie` its `.sie` (complete once the stream is consumed),
    or a parsed file's `sie.vouchers`. `heads` maps (series, number) to the /3/vouchers record
    whose ReferenceNumber, ReferenceType and Comments SIE lacks. `accounts` are the rows of
    load/insert_raw_accounts (the sync's /3/accounts list, partition included); without them the
    file's own chart is staged (#KONTO, #SRU, #IB 0 as balance brought forward).

    The partition is deleted first, then loaded in blocks: by COPY on PostgreSQL, by executemany on
    SQLite, so memory does not grow with the year. A SieSyntaxError (from the stream) leaves the
    transaction for the caller to roll back.

    With `from_date` (an incremental load: a file of the vouchers from that date on, and the whole
    year's chart and balances), only the staged vouchers from that date are replaced.
    """
    heads = heads or {}
    keys = {"client_key": partition["client_key"], "financial_year_id": partition["financial_year_id"]}
    if from_date is None:
        run_sql(connection, "load/delete_raw_year", **keys)
    else:
        replaced = connection.execute(text(sql("load/select_voucher_references_from_date")),
                                      {**keys, "from_date": from_date}).mappings().all()
        if replaced:
            connection.execute(text(sql("load/delete_voucher_rows")), [
                {**keys, "voucher_series": row["voucher_series"], "voucher_number": row["voucher_number"]}
                for row in replaced])
        run_sql(connection, "load/delete_raw_year_from_date", **keys, from_date=from_date)
    if connection.dialect.name == "postgresql":
        staged, voucher_count, row_count = _copy_vouchers(connection, partition, vouchers, heads)
    else:
        staged, voucher_count, row_count = _insert_vouchers(connection, partition, vouchers, heads)
    if accounts is None:
        accounts = file_accounts(partition, sie)
    else:  # the file's own type and unit of each account: the list from Fortnox's API has neither
        accounts = [{**row, "undeclared": False, "account_type": _account_type(sie, row["account"]),
                     "unit": sie.units.get(row["account"])} for row in accounts]
    for statement, rows in (("insert_raw_accounts", accounts), *chart_rows(partition, sie).items()):
        if rows:
            _insert_rows(connection, statement, rows)
    return StagedSie(len(accounts), voucher_count, row_count, staged)


def _insert_rows(connection: Connection, statement: str, rows: list[dict]) -> None:
    """Rows of a load/insert_raw_* statement: by one COPY on PostgreSQL (a year's balances run to thousands of
    rows, and an executemany sends and binds each on its own), by executemany on SQLite."""
    if connection.dialect.name != "postgresql":
        connection.execute(text(sql(f"load/{statement}")), rows)
        return
    columns = tuple(re.findall(r"\w+", _INSERT.search(sql(f"load/{statement}")).group(2)))
    lines = "".join(_copy_line(tuple(row[column] for column in columns)) for row in rows)
    _copy_block(connection.connection.driver_connection.cursor(), (_copy_statement(statement, columns), lines))


def _insert_vouchers(connection: Connection, partition: dict, vouchers: Iterable[Voucher],
                     heads: dict) -> tuple[StagedVouchers, int, int]:
    """The vouchers and their rows by executemany, a block at a time (SQLite)."""
    voucher_sink = _RawSink(connection, "insert_raw_vouchers", _VOUCHER_COLUMNS)
    row_sink = _RawSink(connection, "insert_raw_voucher_rows", _VOUCHER_ROW_COLUMNS)
    object_sink = _RawSink(connection, "insert_raw_voucher_row_objects", _ROW_OBJECT_COLUMNS)
    staged = StagedVouchers()
    for voucher in vouchers:
        number = int(voucher.number)
        voucher_sink.add(_voucher_tuple(partition, voucher, number, heads.get((voucher.series, number), {})))
        object_lists: list[tuple] = []
        row_sink.extend(_row_tuples(partition, voucher, number, object_lists))
        if object_lists:
            object_sink.extend(object_lists)
        staged.add(voucher.series, number)
    voucher_sink.flush()
    row_sink.flush()
    object_sink.flush()
    return staged, voucher_sink.count, row_sink.count


def _copy_vouchers(connection: Connection, partition: dict, vouchers: Iterable[Voucher],
                   heads: dict) -> tuple[StagedVouchers, int, int]:
    """The vouchers and their rows by COPY as text (PostgreSQL), written as the file is read.

    Each block of rows and its vouchers' heads go in two COPYs run by a thread, so that the database
    writes one block while the next is read (one connection runs one COPY at a time, and each waits
    for the database to finish its block). A SieStream's plainly written vouchers become COPY lines
    straight from their fields' text; any other voucher through its parsed rows.
    """
    parts = vouchers.parts() if isinstance(vouchers, SieStream) else vouchers
    client, year = _copy_value(partition["client_key"]), _copy_value(partition["financial_year_id"])
    load = f"\t{_copy_value(partition['load_id'])}\t{_copy_value(partition['loaded_at'])}\n"
    series_fields, dates, objects = Memo(_copy_value), Memo(_copy_value), Memo(_copy_object_list)
    quantities, row_ends = Memo(_copy_quantity), Memo(_copy_row_end)
    staged = StagedVouchers()
    voucher_count = row_count = 0
    rows_copy = _copy_statement("insert_raw_voucher_rows", _VOUCHER_ROW_COLUMNS)
    heads_copy = _copy_statement("insert_raw_vouchers", _VOUCHER_COLUMNS)
    objects_copy = _copy_statement("insert_raw_voucher_row_objects", _ROW_OBJECT_COLUMNS)
    object_lists: list[tuple] = []  # rows of raw_voucher_row_objects: none from Fortnox
    cursor = connection.connection.driver_connection.cursor()
    with InBackground(partial(_copy_block, cursor), "sie-copy") as copier:
        heads_block, rows_block = [], []
        for part in parts:
            number = int(part.number)
            staged.add(part.series, number)
            voucher_count += 1
            if type(part) is PlainVoucher:
                head = heads.get((part.series, number))
                series = series_fields[part.series]
                voucher_text = part.text  # nearly every voucher's own: not worth remembering
                if _COPY_SPECIAL(voucher_text):
                    voucher_text = _copy_value(voucher_text)
                heads_block.append(
                    f"{client}\t{year}\t{series}\t{number}\t{dates[part.date]}\t{dates[part.registered]}\t"
                    f"{voucher_text}\t{_NO_REFERENCES if head is None else _copy_references(head)}\t"
                    f"{_copy_value(part.sign)}{load}")
                prefix = f"{client}\t{year}\t{series}\t{number}\t"
                text_field = row_text = None  # a voucher's rows mostly share one text: converted once
                for row_no, (kind, account, inner, minus, kronor, cents, date, field, quantity, sign) in enumerate(
                        part.rows, 1):
                    if field != text_field:
                        text_field, row_text = field, _copy_text_field(field)
                    ore = kronor + _CENTS[cents]
                    object_fields, object_list = objects[inner]
                    row_end = row_ends[kind, date, sign]
                    if row_end is None:
                        row_date(date, part.line_no + 1 + row_no)  # no date: says so, naming the row's line
                    rows_block.append(
                        f"{prefix}{row_no}\t{account}\t{_CREDIT + ore if minus else ore + _NO_CREDIT}\t\\N\t"
                        f"{row_text}\t{object_fields}\t{quantities[quantity]}{row_end}{load}")
                    if object_list:
                        object_lists += _row_object_tuples(partition, part.series, number, row_no, object_list)
                row_count += len(part.rows)
            else:
                heads_block.append(_copy_line(_voucher_tuple(partition, part, number,
                                                             heads.get((part.series, number), {}))))
                rows = [_copy_line(row) for row in _row_tuples(partition, part, number, object_lists)]
                rows_block += rows
                row_count += len(rows)
            if len(rows_block) >= _COPY_ROWS:
                copier.put((rows_copy, "".join(rows_block)))
                copier.put((heads_copy, "".join(heads_block)))
                heads_block, rows_block = [], []
                if object_lists:
                    copier.put((objects_copy, "".join(map(_copy_line, object_lists))))
                    object_lists = []
        if rows_block:
            copier.put((rows_copy, "".join(rows_block)))
        if heads_block:
            copier.put((heads_copy, "".join(heads_block)))
        if object_lists:
            copier.put((objects_copy, "".join(map(_copy_line, object_lists))))
    return staged, voucher_count, row_count


_COPY_ROWS = 20_000  # rows per COPY: a few MB, so that memory stays flat and each COPY's start costs little


def _copy_block(cursor, statement_and_lines: tuple[str, str]) -> None:
    statement, lines = statement_and_lines
    with cursor.copy(statement) as copy:
        copy.write(lines)


# Pieces of a raw_voucher_rows line: debit and credit in öre ...
_CREDIT, _NO_CREDIT = "0\t", "\t0"
_CENTS = {"": "00", **{str(digit): f"{digit}0" for digit in range(10)}, **{f"{cents:02d}": f"{cents:02d}" for cents in range(100)}}
# ... and removed, added_after_registration (a plainly written voucher has no #RTRANS).
_REMOVED, _COUNTED = "\tt\tf", "\tf\tf"
_NO_REFERENCES = "\\N\t\\N\t\\N"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]").search


def _copy_value(value) -> str:
    """A value as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    value = str(value)
    if _COPY_SPECIAL(value):
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_line(row: tuple) -> str:
    return "\t".join(map(_copy_value, row)) + "\n"


def _copy_object_list(inner: str) -> tuple[str, tuple]:
    """The cost_center and project fields of a plain row's {object list} (its inside), and the whole
    list when those cannot say it (see _object_list)."""
    cost_center, project, whole = _object_list(tuple(split_fields(inner, 0)))
    return f"{_copy_value(cost_center)}\t{_copy_value(project)}", whole


def _copy_text_field(field: str) -> str:
    """A plain row's text or sign field (quoted, bare or none) as its column's field."""
    return _copy_value((field[1:-1] if field[:1] == '"' else field) or None)


def _copy_row_end(kind_date_sign: tuple[str, str, str]) -> str | None:
    """The removed, added_after_registration, row_date and signature fields of a plain row from its kind and
    its transdate and sign fields (quoted, bare or none); None if the transdate is no date."""
    kind, date, sign = kind_date_sign
    try:
        day = row_date(date, 0)
    except SieSyntaxError:
        return None
    return f"{_REMOVED if kind == 'BTRANS' else _COUNTED}\t{_copy_value(day)}\t{_copy_text_field(sign)}"


def _copy_quantity(field: str) -> str:
    """The quantity field of a plain row's quantity field (a plain number, '""' or none)."""
    return _copy_value(_quantity(field) if field.strip('"') else None)


def _copy_references(head: dict) -> str:
    return "\t".join(_copy_value(head.get(key)) for key in ("ReferenceNumber", "ReferenceType", "Comments"))


def _copy_statement(statement: str, columns: tuple[str, ...]) -> str:
    return f"COPY {_checked_table(statement, columns)} ({', '.join(columns)}) FROM STDIN"


def file_accounts(partition: dict, sie: SieFile) -> list[dict]:
    """raw_accounts rows from a SIE file's chart, when no other source of the chart is at hand: every
    account it declares, and every one it uses without declaring it (created, as SIE tells an importer,
    without a name: #KONTO is the only record that names an account)."""
    used = {row.account for voucher in sie.vouchers for row in voucher.transactions}
    used |= {account for _, account in (*sie.opening, *sie.closing, *sie.results)}
    used |= {account for _, account, _ in (*sie.object_opening, *sie.object_closing)}
    used |= {account for _, _, account, _ in (*sie.period_balances, *sie.period_budgets)}
    chart = {**{account: "" for account in used}, **sie.accounts}
    return [{
        **partition, "account": account, "description": name, "active": True,
        "undeclared": account not in sie.accounts, "account_type": _account_type(sie, account),
        "unit": sie.units.get(account), "vat_code": None,
        "sru": SRU_CODES_SEPARATOR.join(sie.sru[account]) if account in sie.sru else None,
        "balance_brought_forward_ore": sie.opening.get((0, account), 0) if is_balance_account(sie, account) else 0,
    } for account, name in sorted(chart.items(), key=lambda item: account_order(item[0]))]


def _account_type(sie: SieFile, account: str) -> str | None:
    """The account's #KTYP when it is one of SIE's four types; else NULL, and the BAS class decides."""
    stated = sie.account_types.get(account)
    return stated if stated in ACCOUNT_TYPES else None


def _voucher_tuple(partition: dict, voucher: Voucher, number: int, head: dict) -> tuple:
    return (partition["client_key"], partition["financial_year_id"], voucher.series, number,
            voucher.date.isoformat(), voucher.registered.isoformat() if voucher.registered else None,
            voucher.text, head.get("ReferenceNumber"), head.get("ReferenceType"), head.get("Comments"),
            voucher.sign, partition["load_id"], partition["loaded_at"])


def _row_tuples(partition: dict, voucher: Voucher, number: int, object_lists: list[tuple]) -> Iterator[tuple]:
    """The voucher's raw_voucher_rows; the object lists its rows' cost centre and project cannot say
    go to `object_lists` (raw_voucher_row_objects)."""
    client_key, financial_year_id = partition["client_key"], partition["financial_year_id"]
    load_id, loaded_at, series = partition["load_id"], partition["loaded_at"], voucher.series
    for row_no, row in enumerate(voucher.transactions, start=1):
        ore = row.amount_ore
        cost_center, project, whole = _object_list(tuple(row.objects)) if row.objects else (None, None, ())
        if whole:
            object_lists += _row_object_tuples(partition, series, number, row_no, whole)
        yield (client_key, financial_year_id, series, number, row_no, row.account, ore if ore > 0 else 0,
               -ore if ore < 0 else 0, None, row.text or None, cost_center, project,
               _quantity(row.quantity) if row.quantity else None, row.kind == "BTRANS", row.kind == "RTRANS",
               row.date.isoformat() if row.date else None, row.sign, load_id, loaded_at)


@lru_cache(maxsize=4096)
def _object_list(objects: tuple[str, ...]) -> tuple[str | None, str | None, tuple[tuple[int, str], ...]]:
    """The cost centre (dimension 1) and project (dimension 6) of an {object list} the reader checked,
    and the whole list as (dimension, object) pairs when those two cannot say it: other dimensions
    (any number SIE allows), or 1 and 6 in another order or twice. Else the whole list is ()."""
    pairs = object_pairs(list(objects), 0)
    by_dimension = dict(pairs)
    cost_center, project = by_dimension.get(_COST_CENTER), by_dimension.get(_PROJECT)
    said = tuple((dimension, item) for dimension, item in ((_COST_CENTER, cost_center), (_PROJECT, project))
                 if item is not None)
    if pairs == said:
        return cost_center, project, ()
    return cost_center, project, tuple((int(dimension), item) for dimension, item in pairs)


def _row_object_tuples(partition: dict, series: str, number: int, row_no: int,
                       pairs: tuple[tuple[int, str], ...]) -> list[tuple]:
    return [(partition["client_key"], partition["financial_year_id"], series, number, row_no, position, dimension,
             item, partition["load_id"], partition["loaded_at"]) for position, (dimension, item) in enumerate(pairs, 1)]


@lru_cache(maxsize=4096)
def _quantity(value: str) -> str:
    return str(Decimal(value.replace(",", ".")))


def chart_rows(partition: dict, sie: SieFile) -> dict[str, list[dict]]:
    """The rows of the file's header, balances, dimensions and objects (bounded by the chart, not the year)."""
    return {
        "insert_raw_sie_header": [
            {**partition, "position": position, "label": label, "fields": " ".join(_field(f) for f in fields)}
            for position, (label, fields) in enumerate(sie.header_records) if label in _STAGED_HEADERS
        ],
        "insert_raw_sie_balances": _stated_balances(partition, sie),
        "insert_raw_sie_dimensions": [
            *({**partition, "dimension_no": dimension, "name": name, "parent_dimension_no": None}
              for dimension, name in sorted(sie.dimensions.items())),
            *({**partition, "dimension_no": dimension, "name": name, "parent_dimension_no": parent}
              for dimension, (name, parent) in sorted(sie.subdimensions.items()) if dimension not in sie.dimensions)],
        "insert_raw_sie_objects": [{**partition, "dimension_no": dimension, "object_id": item, "name": name}
                                   for (dimension, item), name in sorted(sie.objects.items())],
        "insert_raw_sie_object_lists": _object_lists(partition, sie),
    }


class _RawSink:
    """Rows of one load/insert_raw_* statement, written a block at a time by executemany."""

    def __init__(self, connection: Connection, statement: str, columns: tuple[str, ...]) -> None:
        _checked_table(statement, columns)
        self.connection, self.columns, self.insert = connection, columns, sql(f"load/{statement}")
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= _BLOCK_ROWS:
            self.flush()

    def extend(self, rows: Iterable[tuple]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= _BLOCK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        self.connection.execute(text(self.insert), [dict(zip(self.columns, row)) for row in self.rows])
        self.count += len(self.rows)
        self.rows.clear()


def _checked_table(statement: str, columns: tuple[str, ...]) -> str:
    """The table of a load/insert_raw_* file, which must list `columns` in this order (rows are tuples)."""
    insert = sql(f"load/{statement}")
    table, listed = _INSERT.search(insert).groups()
    if tuple(re.findall(r"\w+", listed)) != columns or tuple(re.findall(r":(\w+)", insert)) != columns:
        raise RuntimeError(f"load/{statement}.sql no longer lists the columns {', '.join(columns)} in this order")
    return table


_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")


def build_sie_year(connection: Connection, client_key: str, financial_year_id: int) -> None:
    if connection.dialect.name == "postgresql":
        # Compiling the balance queries to machine code (JIT, on by default) cost more than it saved.
        connection.exec_driver_sql("SET LOCAL jit = off")
        # Room for the hash of a year's vouchers (25 MB for a million rows), joined to the rows in one pass.
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    for name in SIE_YEAR_TRANSFORMS:
        run_sql(connection, f"transform/{name}", client_key=client_key, financial_year_id=financial_year_id)


def build_sie_client(connection: Connection, client_key: str) -> None:
    for name in SIE_CLIENT_TRANSFORMS:
        run_sql(connection, f"transform/{name}", client_key=client_key)


def _stated_balances(partition: dict, sie: SieFile) -> list[dict]:
    rows = []
    for balance_type, attribute in _STATED:
        rows += [_balance(partition, balance_type, index, "", account, (), ore)
                 for (index, account), ore in getattr(sie, attribute).items()]
    for balance_type, attribute in (("OIB", "object_opening"), ("OUB", "object_closing")):
        rows += [_balance(partition, balance_type, index, "", account, objects, ore)
                 for (index, account, objects), ore in getattr(sie, attribute).items()]
    # #PBUDGET is staged as BUDGET: balance_type holds six characters.
    for balance_type, attribute in (("PSALDO", "period_balances"), ("BUDGET", "period_budgets")):
        rows += [_balance(partition, balance_type, index, period, account, objects, ore)
                 for (index, period, account, objects), ore in getattr(sie, attribute).items()]
    return rows


def _balance(partition: dict, balance_type: str, index: int, period: str, account: str, objects: Objects,
             ore: int) -> dict:
    if len(objects) > 1:
        dimension, item = OBJECT_LIST_DIMENSION, object_list_key(objects)
    else:
        dimension, item = objects[0] if objects else ("0", "")
    return {**partition, "year_index": index, "balance_type": balance_type, "period": period, "account": account,
            "dimension_no": int(dimension), "object_id": item, "amount_ore": ore}


def object_list_key(objects: Objects) -> str:
    """The key of a balance line's list of several objects: the same list gets the same key in any file and
    year, 20 characters where object_id holds 40."""
    listed = _field([field for dimension, item in objects for field in (str(int(dimension)), item)])
    return hashlib.blake2b(listed.encode("utf-8"), digest_size=10).hexdigest()


def _object_lists(partition: dict, sie: SieFile) -> list[dict]:
    """raw_sie_object_lists: each list of several objects the file's balance lines carry, its objects in order."""
    lists = {key[-1] for attribute in ("object_opening", "object_closing", "period_balances", "period_budgets")
             for key in getattr(sie, attribute) if len(key[-1]) > 1}
    return [{**partition, "list_key": object_list_key(objects), "position": position, "dimension_no": int(dimension),
             "object_id": item}
            for objects in sorted(lists) for position, (dimension, item) in enumerate(objects, 1)]


def _field(value) -> str:
    return "{" + " ".join(token(v) for v in value) + "}" if isinstance(value, list) else token(value)


def small_number(text: str) -> int | None:
    """A code written as digits (a #FNR), as an INTEGER column holds it; None for anything else."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
