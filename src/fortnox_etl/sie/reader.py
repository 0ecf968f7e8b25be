"""Read SIE 4 files, including the imperfect ones real programs write.

Files claim PC8 (CP437) but are sometimes UTF-8 or Windows-1252: the encoding is detected from the
bytes. Fields are split on spaces or tabs, with quotes (\\" inside) and {object lists}. Unknown
labels are skipped. A line that cannot be read raises SieSyntaxError with its number and why.
"""
from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

# Swedish letters in each candidate encoding; whichever explains more of the high bytes wins.
_SWEDISH = "åäöÅÄÖé"
_CANDIDATES = ("cp437", "cp1252")


class SieSyntaxError(ValueError):
    def __init__(self, line_no: int, reason: str):
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.reason = reason


def detect_encoding(data: bytes) -> str:
    if all(byte < 0x80 for byte in data):
        return "cp437"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    high = [byte for byte in data if byte >= 0x80]

    def swedish_share(encoding: str) -> int:
        return sum(1 for byte in high if bytes([byte]).decode(encoding, errors="replace") in _SWEDISH)

    return max(_CANDIDATES, key=swedish_share)


@dataclass(frozen=True)
class Record:
    line_no: int
    label: str
    fields: list  # str, or list[str] for an {object list}


def split_fields(line: str, line_no: int) -> list:
    fields: list = []
    position, length = 0, len(line)
    while position < length:
        char = line[position]
        if char in " \t":
            position += 1
        elif char == '"':
            value, position = _quoted(line, position + 1, line_no)
            fields.append(value)
        elif char == "{":
            end = line.find("}", position)
            if end < 0:
                raise SieSyntaxError(line_no, "an object list '{' is not closed with '}'")
            fields.append(split_fields(line[position + 1:end], line_no))
            position = end + 1
        else:
            end = position
            while end < length and line[end] not in " \t":
                end += 1
            fields.append(line[position:end])
            position = end
    return fields


def _quoted(line: str, position: int, line_no: int) -> tuple[str, int]:
    chars = []
    while position < len(line):
        char = line[position]
        if char == "\\" and position + 1 < len(line):
            chars.append(line[position + 1])
            position += 2
        elif char == '"':
            return "".join(chars), position + 1
        else:
            chars.append(char)
            position += 1
    raise SieSyntaxError(line_no, "a quoted field is not closed")


def iter_records(data: bytes) -> Iterator[Record]:
    for line_no, line in enumerate(data.decode(detect_encoding(data)).splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in ("{", "}"):
            yield Record(line_no, stripped, [])
            continue
        if not stripped.startswith("#"):
            raise SieSyntaxError(line_no, f"expected a #LABEL, found {stripped[:30]!r}")
        parts = split_fields(stripped, line_no)
        yield Record(line_no, parts[0].upper(), parts[1:])


def parse_amount(value: object, line_no: int) -> int:
    """An amount in öre; a decimal comma is accepted, as some programs write one."""
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise SieSyntaxError(line_no, f"{value!r} is not an amount") from None
    ore = number * 100
    if ore != ore.to_integral_value():
        raise SieSyntaxError(line_no, f"amount {value} has more than two decimals")
    return int(ore)


def parse_date(value: object, line_no: int) -> dt.date:
    try:
        return dt.datetime.strptime(str(value), "%Y%m%d").date()
    except ValueError:
        raise SieSyntaxError(line_no, f"{value!r} is not a date (YYYYMMDD)") from None


def _int(value: object, line_no: int, what: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise SieSyntaxError(line_no, f"{what} {value!r} is not a number") from None


Objects = tuple[tuple[str, str], ...]  # ((dimension, object), ...): an {object list} as pairs


def object_pairs(fields: list, line_no: int) -> Objects:
    if len(fields) % 2:
        raise SieSyntaxError(line_no, "an object list must hold dimension and object pairs")
    return tuple((str(fields[index]), str(fields[index + 1])) for index in range(0, len(fields), 2))


@dataclass
class Transaction:
    kind: str  # TRANS, RTRANS or BTRANS
    account: int
    objects: list
    amount_ore: int
    text: str
    line_no: int
    quantity: str | None = None

    def object(self, dimension: int) -> str | None:
        """The object of a dimension in the row's object list ({1 "100" 6 "P1"}: 1 cost centre, 6 project)."""
        return dict(self.pairs).get(str(dimension))

    @property
    def pairs(self) -> Objects:
        return object_pairs(self.objects, self.line_no)


@dataclass
class Voucher:
    series: str
    number: str
    date: dt.date
    text: str
    line_no: int
    registered: dt.date | None = None
    transactions: list[Transaction] = field(default_factory=list)

    def counted(self) -> list[Transaction]:
        """The rows that make up the voucher: #BTRANS is history, #RTRANS counts once."""
        return [t for t in self.transactions if t.kind != "BTRANS"]


@dataclass
class SieFile:
    encoding: str = "cp437"
    labels: dict[str, list] = field(default_factory=dict)  # single-valued header records by label
    years: dict[int, tuple[dt.date, dt.date]] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    account_types: dict[int, str] = field(default_factory=dict)
    sru: dict[int, str] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)
    dimensions: dict[int, str] = field(default_factory=dict)
    subdimensions: dict[int, tuple[str, int]] = field(default_factory=dict)  # dim -> (name, parent dim)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)  # (dim, object) -> name
    opening: dict[tuple[int, int], int] = field(default_factory=dict)  # (year index, account) -> öre
    closing: dict[tuple[int, int], int] = field(default_factory=dict)
    results: dict[tuple[int, int], int] = field(default_factory=dict)
    object_opening: dict[tuple[int, int, Objects], int] = field(default_factory=dict)  # (index, account, objects)
    object_closing: dict[tuple[int, int, Objects], int] = field(default_factory=dict)
    period_balances: dict[tuple[int, str, int, Objects], int] = field(default_factory=dict)  # (index, YYYYMM, account, objects)
    period_budgets: dict[tuple[int, str, int, Objects], int] = field(default_factory=dict)
    vouchers: list[Voucher] = field(default_factory=list)
    checksum: int | None = None  # the verified #KSUMMA, when the file carries one

    def header(self, label: str, default: str = "") -> str:
        fields = self.labels.get(label)
        return str(fields[0]) if fields else default


_HEADER_LABELS = {"#FLAGGA", "#PROGRAM", "#FORMAT", "#GEN", "#SIETYP", "#PROSA", "#FTYP", "#FNR", "#ORGNR",
                  "#ADRESS", "#FNAMN", "#TAXAR", "#OMFATTN", "#KPTYP", "#VALUTA"}
_BALANCES = {"#IB": "opening", "#UB": "closing", "#RES": "results"}
_OBJECT_BALANCES = {"#OIB": "object_opening", "#OUB": "object_closing"}
_PERIOD_BALANCES = {"#PSALDO": "period_balances", "#PBUDGET": "period_budgets"}
_ACCOUNT_PROPERTIES = {"#KTYP": "account_types", "#SRU": "sru", "#ENHET": "units"}


def read_sie(path: Path) -> SieFile:
    return parse_sie(Path(path).read_bytes())


def parse_sie(data: bytes) -> SieFile:
    sie = SieFile(encoding=detect_encoding(data))
    voucher: Voucher | None = None
    in_voucher = False
    pending_rtrans: Transaction | None = None
    checksum = Checksum()
    for record in iter_records(data):
        label, fields, line_no = record.label, record.fields, record.line_no
        if label == "#KSUMMA":
            _control_sum(sie, checksum, fields, line_no)
            continue
        checksum.add(label, fields)
        if label == "{":
            if voucher is None or in_voucher:
                raise SieSyntaxError(line_no, "'{' without a #VER before it")
            in_voucher = True
        elif label == "}":
            if not in_voucher:
                raise SieSyntaxError(line_no, "'}' without an open voucher")
            in_voucher, voucher, pending_rtrans = False, None, None
        elif label in ("#TRANS", "#RTRANS", "#BTRANS"):
            if not in_voucher:
                raise SieSyntaxError(line_no, f"{label} outside a voucher's {{ }}")
            transaction = _transaction(label[1:], fields, line_no)
            if label == "#TRANS" and pending_rtrans and _same_row(pending_rtrans, transaction):
                pending_rtrans = None  # the copy written for older readers: already counted as #RTRANS
                continue
            pending_rtrans = transaction if label == "#RTRANS" else None
            voucher.transactions.append(transaction)
        elif label == "#VER":
            if in_voucher:
                raise SieSyntaxError(line_no, "#VER inside another voucher's { }")
            if len(fields) < 3:
                raise SieSyntaxError(line_no, "#VER needs series, number and date")
            registered = fields[4] if len(fields) > 4 and str(fields[4]).strip() else None
            voucher = Voucher(str(fields[0]), str(fields[1]), parse_date(fields[2], line_no),
                              str(fields[3]) if len(fields) > 3 else "", line_no,
                              parse_date(registered, line_no) if registered else None)
            sie.vouchers.append(voucher)
        elif label in _HEADER_LABELS:
            sie.labels.setdefault(label, fields)
        elif label == "#RAR":
            _need(fields, 3, line_no, "#RAR needs year index, start and end")
            sie.years[_int(fields[0], line_no, "year index")] = (parse_date(fields[1], line_no), parse_date(fields[2], line_no))
        elif label == "#KONTO":
            _need(fields, 2, line_no, "#KONTO needs account and name")
            sie.accounts[_int(fields[0], line_no, "account")] = str(fields[1])
        elif label in _ACCOUNT_PROPERTIES:
            _need(fields, 2, line_no, f"{label} needs account and value")
            value = str(fields[1])
            getattr(sie, _ACCOUNT_PROPERTIES[label])[_int(fields[0], line_no, "account")] = (
                value.upper() if label == "#KTYP" else value)
        elif label == "#DIM":
            _need(fields, 2, line_no, "#DIM needs dimension and name")
            sie.dimensions[_int(fields[0], line_no, "dimension")] = str(fields[1])
        elif label == "#UNDERDIM":
            _need(fields, 3, line_no, "#UNDERDIM needs dimension, name and parent dimension")
            sie.subdimensions[_int(fields[0], line_no, "dimension")] = (
                str(fields[1]), _int(fields[2], line_no, "parent dimension"))
        elif label == "#OBJEKT":
            _need(fields, 3, line_no, "#OBJEKT needs dimension, object and name")
            sie.objects[(_int(fields[0], line_no, "dimension"), str(fields[1]))] = str(fields[2])
        elif label in _BALANCES:
            _need(fields, 3, line_no, f"{label} needs year index, account and amount")
            key = (_int(fields[0], line_no, "year index"), _int(fields[1], line_no, "account"))
            getattr(sie, _BALANCES[label])[key] = parse_amount(fields[2], line_no)
        elif label in _OBJECT_BALANCES:
            if len(fields) < 4 or not isinstance(fields[2], list):
                raise SieSyntaxError(line_no, f"{label} needs year index, account, {{objects}} and amount")
            key = (_int(fields[0], line_no, "year index"), _int(fields[1], line_no, "account"),
                   object_pairs(fields[2], line_no))
            getattr(sie, _OBJECT_BALANCES[label])[key] = parse_amount(fields[3], line_no)
        elif label in _PERIOD_BALANCES:
            if len(fields) < 5 or not isinstance(fields[3], list):
                raise SieSyntaxError(line_no, f"{label} needs year index, period, account, {{objects}} and amount")
            key = (_int(fields[0], line_no, "year index"), _period(fields[1], line_no),
                   _int(fields[2], line_no, "account"), object_pairs(fields[3], line_no))
            getattr(sie, _PERIOD_BALANCES[label])[key] = parse_amount(fields[4], line_no)
        # Any other label is one we do not need here; SIE tells readers to skip those.
    if in_voucher:
        raise SieSyntaxError(voucher.line_no, f"voucher {voucher.series} {voucher.number} is never closed with '}}'")
    if checksum.open:
        raise SieSyntaxError(checksum.opened_on, "#KSUMMA opens a checked part but no closing #KSUMMA carries the sum")
    return sie


class Checksum:
    """#KSUMMA: CRC-32 over every record between the opening (empty) #KSUMMA and the closing one.

    Per record its label and its fields' contents count, as CP437 bytes; separators, quotes, the
    braces of object lists and line ends do not (SIE 4B). Reader and writer share this definition.
    """

    def __init__(self) -> None:
        self.open = False
        self.opened_on = 0
        self.value = 0

    def start(self, line_no: int) -> None:
        self.open, self.opened_on, self.value = True, line_no, 0

    def add(self, label: str, fields: list) -> None:
        if self.open:
            self.value = zlib.crc32(_checked_content(label, fields), self.value)


def _checked_content(label: str, fields: list) -> bytes:
    if label in ("{", "}"):
        return b""
    parts = [label]
    for value in fields:
        parts.extend(value if isinstance(value, list) else [value])
    return "".join(parts).encode("cp437", errors="replace")


def _control_sum(sie: SieFile, checksum: Checksum, fields: list, line_no: int) -> None:
    if not fields or not str(fields[0]).strip():
        if checksum.open or sie.checksum is not None:
            raise SieSyntaxError(line_no, "a second opening #KSUMMA; a file has one checked part")
        checksum.start(line_no)
        return
    if not checksum.open:
        raise SieSyntaxError(line_no, "#KSUMMA carries a sum but no empty #KSUMMA opened the checked part")
    stated = _int(fields[0], line_no, "control sum")
    if stated != checksum.value:
        raise SieSyntaxError(line_no, f"the control sum #KSUMMA {stated} does not match the file's content "
                                      f"({checksum.value}): the file was changed or damaged after it was written")
    checksum.open, sie.checksum = False, stated


def _need(fields: list, count: int, line_no: int, reason: str) -> None:
    if len(fields) < count:
        raise SieSyntaxError(line_no, reason)


def _period(value: object, line_no: int) -> str:
    text = str(value)
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        raise SieSyntaxError(line_no, f"{value!r} is not a period (YYYYMM)")
    return text


def _transaction(kind: str, fields: list, line_no: int) -> Transaction:
    if len(fields) < 3 or not isinstance(fields[1], list):
        raise SieSyntaxError(line_no, f"#{kind} needs account, {{objects}} and amount")
    object_pairs(fields[1], line_no)
    text = str(fields[4]) if len(fields) > 4 and isinstance(fields[4], str) else ""
    quantity = fields[5] if len(fields) > 5 and isinstance(fields[5], str) and fields[5] else None
    if quantity is not None:
        parse_quantity(quantity, line_no)
    return Transaction(kind, _int(fields[0], line_no, "account"), fields[1], parse_amount(fields[2], line_no), text,
                       line_no, quantity)


def parse_quantity(value: object, line_no: int) -> Decimal:
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise SieSyntaxError(line_no, f"quantity {value!r} is not a number") from None


def _same_row(first: Transaction, second: Transaction) -> bool:
    return (first.account, first.amount_ore, first.objects) == (second.account, second.amount_ore, second.objects)
