"""Draft vouchers from the files a bureau prepares its closing in: CSV, JSON or SIE4 (#VER records).

CSV: a header row, then one row per voucher row; rows with the same `voucher` value, one after the
other, make one voucher. Columns: voucher, series, date (YYYY-MM-DD), text, account, debit, credit,
and optionally cost_center, project, row_text. Semicolons or commas; a decimal comma is accepted.

JSON: {"vouchers": [{"series", "date", "text", "rows": [{"account", "debit", "credit", "cost_center",
"project", "row_text"}]}]}, or the list alone.

SIE4: every #VER of the file with its #TRANS rows (a closing file from another program); objects
of dimension 1 are cost centres, of dimension 6 projects.

Every problem is reported with its line (for JSON: the voucher and row), and a file with any
problem gives no drafts at all.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from fortnox_etl.outbox import Draft, DraftRow
from fortnox_etl.sie.reader import SieSyntaxError, parse_sie

CSV_COLUMNS = ("voucher", "series", "date", "text", "account", "debit", "credit")
CSV_OPTIONAL = ("cost_center", "project", "row_text")
COST_CENTER_DIMENSION, PROJECT_DIMENSION = "1", "6"


class VoucherFileError(ValueError):
    """The file cannot become drafts; the message lists every problem with its line."""


def read_drafts(path: Path) -> list[Draft]:
    path = Path(path)
    if not path.is_file():
        raise VoucherFileError(f"{path} does not exist or is not a file")
    data = path.read_bytes()
    kind = path.suffix.lower()
    if kind == ".csv":
        drafts = _csv_drafts(path.name, data)
    elif kind == ".json":
        drafts = _json_drafts(path.name, data)
    elif kind in (".se", ".si", ".sie"):
        drafts = _sie_drafts(path.name, data)
    else:
        raise VoucherFileError(f"{path.name}: give a .csv, .json or SIE4 (.se) file")
    if not drafts:
        raise VoucherFileError(f"{path.name} holds no vouchers")
    return drafts


class _Problems(list):
    def raise_any(self, name: str) -> None:
        if self:
            raise VoucherFileError(f"{name}: nothing was added; {len(self)} problem(s):\n  " + "\n  ".join(self))


def _csv_drafts(name: str, data: bytes) -> list[Draft]:
    content = data.decode("utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(content.splitlines()[0] if content.strip() else "", delimiters=";,\t")
    except csv.Error:
        raise VoucherFileError(f"{name} line 1: expected a header of columns separated by semicolons or commas: "
                               f"{';'.join(CSV_COLUMNS)}") from None
    reader = csv.DictReader(io.StringIO(content), dialect=dialect)
    header = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise VoucherFileError(f"{name} line 1: the header lacks the column(s) {', '.join(missing)}; "
                               f"it needs {', '.join(CSV_COLUMNS)} (and may have {', '.join(CSV_OPTIONAL)})")
    reader.fieldnames = header
    problems = _Problems()
    groups: list[tuple[str, int, dict, list[DraftRow]]] = []
    for line_no, record in enumerate(reader, start=2):
        record = {key: (value or "").strip() for key, value in record.items() if key}
        if not any(record.values()):
            continue
        where = f"line {line_no}"
        if not groups or groups[-1][0] != record["voucher"]:
            groups.append((record["voucher"], line_no, record, []))
        else:
            head = groups[-1][2]
            for column in ("series", "date", "text"):
                if record[column] and record[column] != head[column]:
                    problems.append(f"{where}: {column} {record[column]!r} differs from the voucher's first row "
                                    f"({head[column]!r})")
        row = _row(record, where, problems, line_no)
        if row:
            groups[-1][3].append(row)
    drafts = []
    for _, first_line, head, rows in groups:
        date = _day(head["date"], f"line {first_line}", problems)
        if date:
            drafts.append(Draft(head["series"], date, head["text"], tuple(rows), f"{name} line {first_line}"))
    problems.raise_any(name)
    return drafts


def _json_drafts(name: str, data: bytes) -> list[Draft]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except json.JSONDecodeError as error:
        raise VoucherFileError(f"{name} line {error.lineno}: not valid JSON ({error.msg})") from None
    vouchers = document.get("vouchers") if isinstance(document, dict) else document
    if not isinstance(vouchers, list):
        raise VoucherFileError(f'{name}: expected {{"vouchers": [...]}} or a list of vouchers')
    problems = _Problems()
    drafts = []
    for number, voucher in enumerate(vouchers, start=1):
        where = f"voucher {number}"
        if not isinstance(voucher, dict) or not isinstance(voucher.get("rows"), list):
            problems.append(f"{where}: expected an object with series, date, text and a list of rows")
            continue
        rows = []
        for row_number, record in enumerate(voucher["rows"], start=1):
            if not isinstance(record, dict):
                problems.append(f"{where} row {row_number}: expected an object")
                continue
            row = _row({key: "" if value is None else str(value) for key, value in record.items()},
                       f"{where} row {row_number}", problems, None)
            if row:
                rows.append(row)
        date = _day(str(voucher.get("date") or ""), where, problems)
        if date:
            drafts.append(Draft(str(voucher.get("series") or ""), date, str(voucher.get("text") or ""), tuple(rows),
                                f"{name} {where}"))
    problems.raise_any(name)
    return drafts


def _sie_drafts(name: str, data: bytes) -> list[Draft]:
    try:
        sie = parse_sie(data)
    except SieSyntaxError as error:
        raise VoucherFileError(f"{name} {error}") from None
    problems = _Problems()
    drafts = []
    for voucher in sie.vouchers:
        rows = []
        for row in voucher.counted():
            objects = dict(row.pairs)
            unknown = sorted(set(objects) - {COST_CENTER_DIMENSION, PROJECT_DIMENSION})
            if unknown:
                problems.append(f"line {row.line_no}: objects of dimension {', '.join(unknown)} cannot be posted; "
                                "Fortnox voucher rows carry only cost centres (1) and projects (6)")
            rows.append(DraftRow(row.account, max(row.amount_ore, 0), max(-row.amount_ore, 0),
                                 objects.get(COST_CENTER_DIMENSION), objects.get(PROJECT_DIMENSION), row.text or None,
                                 row.line_no))
        drafts.append(Draft(voucher.series, voucher.date, voucher.text, tuple(rows), f"{name} line {voucher.line_no}"))
    problems.raise_any(name)
    return drafts


def _row(record: dict, where: str, problems: list, line_no: int | None) -> DraftRow | None:
    try:
        account = int(record.get("account", ""))
    except ValueError:
        problems.append(f"{where}: account {record.get('account')!r} is not a number")
        return None
    debit, credit = (_ore(record.get(column, ""), column, where, problems) for column in ("debit", "credit"))
    if debit is None or credit is None:
        return None
    return DraftRow(account, debit, credit, record.get("cost_center") or None, record.get("project") or None,
                    record.get("row_text") or None, line_no)


def _ore(value: str, column: str, where: str, problems: list) -> int | None:
    """An amount in kronor ("1 234,50" or "1234.50"; empty is zero) as whole öre."""
    cleaned = value.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not cleaned:
        return 0
    try:
        amount = Decimal(cleaned) * 100
    except InvalidOperation:
        problems.append(f"{where}: {column} {value!r} is not an amount")
        return None
    if amount != amount.to_integral_value():
        problems.append(f"{where}: {column} {value} has more than two decimals")
        return None
    return int(amount)


def _day(value: str, where: str, problems: list) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: date {value!r} is not a date (YYYY-MM-DD)")
        return None
