"""Draft vouchers from the files a bureau prepares its closing in: CSV, JSON or SIE4 (#VER records).

CSV: a header row, then one row per voucher row; rows with the same `voucher` value, one after the
other, make one voucher. Columns: voucher, series, date (YYYY-MM-DD), text, account, debit, credit,
and optionally cost_center, project, row_text. Semicolons, commas or tabs; every row has as many
fields as the header.

JSON: {"vouchers": [{"series", "date", "text", "rows": [{"account", "debit", "credit", "cost_center",
"project", "row_text"}]}]}, or the list alone. Series, date and texts are strings, an account a number
or a string of digits, an amount a number or a string.

SIE4: every #VER of the file with its #TRANS rows (a closing file from another program, or a payroll
or invoicing program's transaction file, type 4I); objects of dimension 1 are cost centres, of dimension
6 projects. The file's #ORGNR must be the client's (a file without one only by the operator's choice). Its
account numbers are text: one Fortnox has no number for (0351, which is not 351) is refused as written.

CSV and JSON files are read in UTF-8 (with or without a byte order mark), UTF-16 with a byte order
mark, or Windows-1252 (what Excel saves on Swedish Windows). Amounts as accountants write them:
1234,50, 1 234,50 (a space or non-breaking space between thousands), 1234.50, -1234,50.
Every problem is reported with its line (for JSON: the voucher and row), and a file with any
problem gives no drafts at all.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from fortnox_etl.config import Client, NotText, holds_control_character, text_of
from fortnox_etl.export.outbox import Draft, DraftRow
from fortnox_etl.sie.reader import SieSyntaxError, parse_sie
from fortnox_etl.sie.whose_books import WITHOUT_ORGNR_OPTION, organisation_problem, says_whose_books

CSV_COLUMNS = ("voucher", "series", "date", "text", "account", "debit", "credit")
CSV_OPTIONAL = ("cost_center", "project", "row_text")
COST_CENTER_DIMENSION, PROJECT_DIMENSION = "1", "6"
# Fortnox takes amounts as floating-point numbers, exact to the öre only below about 90 000 billion
# kronor; no real voucher comes near the 10 000 billion kept to here.
MAX_KRONOR_DIGITS = 13
MAX_AMOUNT = "9 999 999 999 999,99 kr"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_ACCOUNT = re.compile(r"[0-9]{1,10}").fullmatch
# kronor (bare, or in groups of three after a space or non-breaking space), then decimals after . or ,
_AMOUNT = re.compile(r"(-?)([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,]([0-9]+))?").fullmatch
_AMBIGUOUS = re.compile(r"-?[1-9][0-9]{0,2}[.,][0-9]{3}").fullmatch
_JSON_AMOUNT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?").fullmatch
_JSON_VOUCHER_KEYS = {"series", "date", "text", "rows"}
_JSON_ROW_KEYS = {"account", "debit", "credit", "cost_center", "project", "row_text"}


class VoucherFileError(ValueError):
    """The file cannot become drafts; the message lists every problem with its line."""


def read_drafts(path: Path, client: Client | None = None, without_orgnr: bool = False,
                series: str | None = None) -> list[Draft]:
    """The file's vouchers as drafts for the client's outbox.

    client: whose outbox they go to; a SIE file's #ORGNR is checked against it, and `without_orgnr`
    takes a SIE file that does not say whose books it is as the client's. series: the voucher series
    of vouchers whose file gives none (payroll and invoicing programs leave it to the bookkeeping).
    """
    path = Path(path)
    if not path.is_file():
        raise VoucherFileError(f"{path} does not exist or is not a file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise VoucherFileError(f"{path} cannot be read ({error.strerror})") from None
    kind = path.suffix.lower()
    if kind not in (".csv", ".json", ".se", ".si", ".sie"):
        raise VoucherFileError(f"{path.name}: give a .csv, .json or SIE4 (.se) file")
    if not data.strip():
        raise VoucherFileError(f"{path.name} is empty")
    if kind == ".csv":
        drafts = _csv_drafts(path.name, _text(path.name, data))
    elif kind == ".json":
        drafts = _json_drafts(path.name, _text(path.name, data))
    else:
        if client is None:
            raise TypeError("the drafts of a SIE file need the client its #ORGNR is checked against")
        drafts = _sie_drafts(path.name, data, client, without_orgnr, series)
    if not drafts:
        raise VoucherFileError(f"{path.name} holds no vouchers")
    return [draft if draft.series.strip() or not series else dataclasses.replace(draft, series=series)
            for draft in drafts]


def _text(name: str, data: bytes) -> str:
    try:
        return text_of(data)
    except NotText as error:
        raise VoucherFileError(f"{name} is {error}; save it as CSV UTF-8 and try again") from None


class _Problems(list):
    def raise_any(self, name: str) -> None:
        if self:
            raise VoucherFileError(f"{name}: nothing was added; {len(self)} problem(s):\n  " + "\n  ".join(self))


def _csv_drafts(name: str, content: str) -> list[Draft]:
    lines = io.StringIO(content, newline=None)  # \r\n, \n or \r ends a line
    first = next((line for line in lines if line.strip()), "")
    delimiter = max(";,\t", key=lambda candidate: _known_columns(first.split(candidate)))
    if not _known_columns(first.split(delimiter)):
        raise VoucherFileError(f"{name} line 1: expected a header of columns separated by semicolons or commas: "
                               f"{';'.join(CSV_COLUMNS)}")
    lines.seek(0)
    reader = csv.reader(lines, delimiter=delimiter)
    problems = _Problems()
    groups: list[_Group] = []
    header: list[str] | None = None
    while True:
        line_no = reader.line_num + 1
        try:
            fields = next(reader, None)
        except csv.Error as error:
            problems.append(f"line {line_no}: {_csv_problem(error)}")
            break
        if fields is None:
            break
        if not any(value.strip() for value in fields):
            continue
        if header is None:
            header = [column.strip().lower() for column in fields]
            _check_header(name, header)
            continue
        where = f"line {line_no}"
        record = dict(zip(header, (value.strip() for value in fields)))
        record.update((column, "") for column in header[len(fields):])
        if not groups or groups[-1].voucher != record["voucher"]:
            groups.append(_Group(record["voucher"], line_no, record))
        group = groups[-1]
        if len(fields) != len(header) and reader.line_num > line_no:  # a quote not closed took in line breaks
            problems.append(f"{where}: a quote (\") opened in this line is not closed, so the field runs on to line "
                            f"{reader.line_num}; close it, or remove the quote")
            group.readable = group.first_line != line_no and group.readable
            continue
        if len(fields) != len(header):
            problems.append(f"{where}: {len(fields)} fields where the header has {len(header)}; quote a field that "
                            f"holds a '{delimiter}' (a decimal comma in a comma-separated file: \"100,75\")")
            group.readable = group.first_line != line_no and group.readable
            continue
        bad = [column for column, value in record.items() if holds_control_character(value)]
        if bad:
            problems.append(f"{where}: {bad[0]} holds a control character (such as a line break or tab), which a "
                            "voucher cannot carry; remove it")
            continue
        if group.first_line != line_no:
            for column in ("series", "date", "text"):
                if record[column] and record[column] != group.head[column]:
                    problems.append(f"{where}: {column} {record[column]!r} differs from the voucher's first row "
                                    f"({group.head[column]!r})")
        row = _row(record, where, problems, line_no)
        if row:
            group.rows.append(row)
    drafts = []
    for group in groups:
        date = _day(group.head["date"], f"line {group.first_line}", problems) if group.readable else None
        if date:
            head = group.head
            drafts.append(Draft(head["series"], date, head["text"], tuple(group.rows), f"{name} line {group.first_line}",
                                name))
    problems.raise_any(name)
    return drafts


@dataclass
class _Group:
    """The rows of one voucher of a CSV file, as they are read; its first row is its head."""
    voucher: str
    first_line: int
    head: dict
    rows: list[DraftRow] = field(default_factory=list)
    readable: bool = True  # false when its first row has the wrong number of fields


def _known_columns(columns: list[str]) -> int:
    return sum(column.strip().strip('"').lower() in CSV_COLUMNS + CSV_OPTIONAL for column in columns)


def _check_header(name: str, header: list[str]) -> None:
    missing = [column for column in CSV_COLUMNS if column not in header]
    unknown = [column for column in header if column not in CSV_COLUMNS + CSV_OPTIONAL]
    twice = sorted({column for column in header if header.count(column) > 1})
    if missing or unknown or twice:
        said = ([f"lacks the column(s) {', '.join(missing)}"] if missing else []) + (
            [f"has the column(s) {', '.join(map(repr, unknown))}, which are not read"] if unknown else []) + (
            [f"names {', '.join(twice)} twice"] if twice else [])
        raise VoucherFileError(f"{name} line 1: the header {' and '.join(said)}; it needs {', '.join(CSV_COLUMNS)} "
                               f"(and may have {', '.join(CSV_OPTIONAL)})")


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a field is longer than {csv.field_size_limit():,} characters; no voucher field is that long".replace(",", " ")
    return f"not readable as CSV ({error})"


class _JsonNumber(str):
    """A number in a JSON file, kept as written (its digits are checked as an amount or account)."""


def _json_drafts(name: str, content: str) -> list[Draft]:
    try:
        document = json.loads(content, parse_int=_JsonNumber, parse_float=_JsonNumber, parse_constant=_JsonNumber,
                              object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as error:
        raise VoucherFileError(f"{name} line {error.lineno}: not valid JSON ({error.msg})") from None
    except _DuplicateField as error:
        raise VoucherFileError(f"{name}: {error}") from None
    except RecursionError:
        raise VoucherFileError(f"{name}: nested too deeply to be a voucher file; expected "
                               '{"vouchers": [{"series", "date", "text", "rows": [...]}]}') from None
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
        _unknown_keys(voucher, _JSON_VOUCHER_KEYS, where, problems)
        series, date_text, text = (_json_text(voucher.get(key), key, where, problems) for key in ("series", "date", "text"))
        rows = []
        for row_number, record in enumerate(voucher["rows"], start=1):
            row_where = f"{where} row {row_number}"
            if not isinstance(record, dict):
                problems.append(f"{row_where}: expected an object")
                continue
            _unknown_keys(record, _JSON_ROW_KEYS, row_where, problems)
            row = _json_row(record, row_where, problems)
            if row:
                rows.append(row)
        date = _day(date_text, where, problems) if date_text is not None else None
        if date and series is not None and text is not None:
            drafts.append(Draft(series, date, text, tuple(rows), f"{name} {where}", name))
    problems.raise_any(name)
    return drafts


class _DuplicateField(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose fields are each given once: JSON itself would silently keep the last."""
    document = dict(pairs)
    if len(document) < len(pairs):
        twice = next(key for key in document if sum(key == other for other, _ in pairs) > 1)
        values = " and ".join(_as_written(value)[:40] for key, value in pairs if key == twice)
        raise _DuplicateField(f"an object gives {twice!r} more than once ({values}); keep one of them")
    return document


def _unknown_keys(record: dict, known: set[str], where: str, problems: list) -> None:
    unknown = sorted(set(record) - known)
    if unknown:
        problems.append(f"{where}: {', '.join(map(repr, unknown))} is not read; the fields are {', '.join(sorted(known))}")


def _json_text(value: object, key: str, where: str, problems: list, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if type(value) is not str:
        problems.append(f"{where}: {key} must be a text in quotes, not {_json_shown(value)}")
        return None
    if holds_control_character(value):
        problems.append(f"{where}: {key} holds a control character (such as a line break or tab), which a voucher "
                        "cannot carry; remove it")
        return None
    return value


def _json_shown(value: object) -> str:
    if value is None:
        return "missing or null"
    if isinstance(value, _JsonNumber):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value)
    return _as_written(value)[:40]


def _as_written(value: object, depth: int = 0) -> str:
    """A JSON value as the file writes it: its numbers unquoted (they are read as text to keep their digits),
    and only its first levels (the answer shows 40 characters of it)."""
    if depth > 3:
        return "…"
    if isinstance(value, _JsonNumber):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_as_written(item, depth + 1) for item in value[:10]) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {_as_written(item, depth + 1)}"
                               for key, item in list(value.items())[:10]) + "}"
    return json.dumps(value, ensure_ascii=False)


def _json_row(record: dict, where: str, problems: list) -> DraftRow | None:
    account = record.get("account")
    if isinstance(account, (_JsonNumber, str)) and _ACCOUNT(account):
        account = int(account)
    else:
        problems.append(f"{where}: account {_json_shown(account)} is not a number")
        return None
    amounts = []
    for column in ("debit", "credit"):
        value = record.get(column)
        if value is None:
            amounts.append(0)
        elif isinstance(value, _JsonNumber):
            amounts.append(_json_ore(value, column, where, problems))
        elif type(value) is str:
            amounts.append(_ore(value, column, where, problems))
        else:
            problems.append(f"{where}: {column} must be a number or a text such as \"1 234,50\", not {_json_shown(value)}")
            amounts.append(None)
    texts = [_json_code(record.get(key), key, where, problems) for key in ("cost_center", "project")]
    row_text = _json_text(record.get("row_text"), "row_text", where, problems, optional=True)
    if None in amounts or "" in texts or (record.get("row_text") is not None and row_text is None):
        return None
    return _draft_row(account, amounts[0], amounts[1], texts[0], texts[1], row_text or None, None)


def _json_code(value: object, key: str, where: str, problems: list) -> str | None:
    """A cost centre or project: a text, or a whole number written as one; "" marks a problem."""
    if value is None:
        return None
    if isinstance(value, _JsonNumber) and value.isdigit():
        return str(value)
    return _json_text(value, key, where, problems) or ""


def _json_ore(value: str, column: str, where: str, problems: list) -> int | None:
    """A JSON number as öre: a decimal point, no exponent, at most two decimals (1.500 is 1.50)."""
    match = _JSON_AMOUNT(value)
    if match is None:
        return _ore(value, column, where, problems)  # refused, with the reason
    minus, kronor, decimals = match.groups()
    return _checked_ore(value, minus, kronor, (decimals or "").rstrip("0"), column, where, problems)


def _sie_drafts(name: str, data: bytes, client: Client, without_orgnr: bool, series: str | None) -> list[Draft]:
    try:
        sie = parse_sie(data)
    except SieSyntaxError as error:
        raise VoucherFileError(f"{name} {error}" if error.line_no else f"{name}: {error}") from None
    not_the_clients = organisation_problem(sie, client, without_orgnr, "add")
    if not_the_clients:
        raise VoucherFileError(f"{name} {not_the_clients}. Nothing was added")
    # Where the approver sees it: the file did not say whose vouchers these are.
    unchecked = "" if says_whose_books(sie) else f" ({WITHOUT_ORGNR_OPTION})"
    problems = _Problems()
    drafts = []
    for voucher in sie.vouchers:
        if not voucher.series.strip() and not series:
            problems.append(f"line {voucher.line_no}: the voucher has no series (the program that wrote the file "
                            "leaves it to the bookkeeping); give the Fortnox voucher series with --series")
        rows = []
        for row in voucher.counted():
            objects = dict(row.pairs)
            unknown = sorted(set(objects) - {COST_CENTER_DIMENSION, PROJECT_DIMENSION})
            if unknown:
                problems.append(f"line {row.line_no}: objects of dimension {', '.join(unknown)} cannot be posted; "
                                "Fortnox voucher rows carry only cost centres (1) and projects (6)")
            if row.account.startswith("0"):  # as a number it would be another account: 0351 is not 351
                problems.append(f"line {row.line_no}: account {row.account} cannot be posted; Fortnox's accounts are "
                                "numbers from 1000 to 9999, written without a leading zero: book the row on one of the "
                                "client's Fortnox accounts in the program that wrote the file")
                continue
            rows.append(DraftRow(int(row.account), max(row.amount_ore, 0), max(-row.amount_ore, 0),
                                 objects.get(COST_CENTER_DIMENSION), objects.get(PROJECT_DIMENSION), row.text or None,
                                 row.line_no))
        drafts.append(Draft(voucher.series, voucher.date, voucher.text, tuple(rows),
                            f"{name} line {voucher.line_no}{unchecked}", name))
    problems.raise_any(name)
    return drafts


def _row(record: dict, where: str, problems: list, line_no: int | None) -> DraftRow | None:
    account = record.get("account", "")
    if not _ACCOUNT(account):
        problems.append(f"{where}: account {account!r} is not a number")
        return None
    debit, credit = (_ore(record.get(column, ""), column, where, problems) for column in ("debit", "credit"))
    if debit is None or credit is None:
        return None
    return _draft_row(int(account), debit, credit, record.get("cost_center") or None, record.get("project") or None,
                      record.get("row_text") or None, line_no)


def _draft_row(account: int, debit: int, credit: int, cost_center: str | None, project: str | None,
               row_text: str | None, line_no: int | None) -> DraftRow:
    # A negative amount alone in one column is an amount on the other side, as accountants write it.
    if debit < 0 and not credit:
        debit, credit = 0, -debit
    elif credit < 0 and not debit:
        debit, credit = -credit, 0
    return DraftRow(account, debit, credit, cost_center, project, row_text, line_no)


def _ore(value: str, column: str, where: str, problems: list) -> int | None:
    """An amount in kronor as accountants write it ("1 234,50", "1234.50", "-1234,50"; empty is zero) as öre."""
    cleaned = value.strip().replace("\u2212", "-")  # Excel may write a minus sign
    if not cleaned:
        return 0
    if _AMBIGUOUS(cleaned):
        whole = cleaned.replace(".", "").replace(",", "")
        grouped = f"{int(whole):,}".replace(",", " ")
        problems.append(f"{where}: {column} {value!r} is ambiguous (a thousands separator, or three decimals?): "
                        f"write {whole} or {whole},00 for {grouped} kronor, and at most two decimals")
        return None
    match = _AMOUNT(cleaned)
    if match is None:
        lowered = cleaned.lower()
        if "nan" in lowered or "inf" in lowered:
            reason = "is not an amount"
        elif re.search(r"[0-9]e", lowered):
            reason = "is written with an exponent; write the amount in full, such as 1234,50"
        else:
            reason = "is not an amount; write it as 1234,50, 1 234,50 or 1234.50"
        problems.append(f"{where}: {column} {value!r} {reason}")
        return None
    minus, kronor, decimals = match.groups()
    return _checked_ore(value, minus, kronor, decimals or "", column, where, problems)


def _checked_ore(value: str, minus: str, kronor: str, decimals: str, column: str, where: str,
                 problems: list) -> int | None:
    kronor = re.sub(r"[ \u00a0\u202f]", "", kronor).lstrip("0") or "0"
    if len(decimals) > 2:
        problems.append(f"{where}: {column} {value} has more than two decimals")
        return None
    if len(kronor) > MAX_KRONOR_DIGITS:
        problems.append(f"{where}: {column} {value} is more than Fortnox takes (at most {MAX_AMOUNT})")
        return None
    ore = int(kronor) * 100 + int(decimals.ljust(2, "0"))
    return -ore if minus else ore


def _day(value: str, where: str, problems: list) -> dt.date | None:
    try:
        if _DATE(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(f"{where}: date {value!r} is not a date (YYYY-MM-DD)")
    return None
