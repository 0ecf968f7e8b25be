"""Read SIE 4 files, including the imperfect ones real programs write.

Files claim PC8 (CP437) but are sometimes UTF-8 (with or without a byte order mark), Windows-1252 or
UTF-16 with a byte order mark: the encoding is detected from the bytes. Control characters (a form feed
in a voucher's text) are read as spaces. Fields are split on spaces or tabs, with quotes (\\" inside)
and {object lists}. Amounts keep to SIE's rules: digits, a decimal point (or comma), at most two
decimals, a minus sign. Unknown labels are skipped. A line that cannot be read raises SieSyntaxError
with its number and why; so do an empty file, bytes that are not a SIE file and a line too long to be one.

A file is read as a stream (SieStream): chunk by chunk from its path, keeping the header, chart,
objects and balances (they grow with the chart, not with the year) and handing out one voucher at a
time, so a year of a million transactions needs no more memory than one of a thousand.
"""
from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from fortnox_etl.sie.errors import SieSyntaxError

# Swedish letters in each candidate encoding; whichever explains more of the high bytes wins.
_SWEDISH = "åäöÅÄÖé"
_CANDIDATES = ("cp437", "cp1252")
_CHUNK_BYTES = 1 << 20
_ASCII = bytes(range(0x80))
_NOT_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")  # bytes Windows-1252 leaves undefined
ENCODINGS_READ = "CP437 (PC8), UTF-8 (with or without a byte order mark), Windows-1252 or UTF-16 with a byte order mark"
MAX_LINE = 100_000  # characters; no SIE record comes near, and a longer line is never held whole
# Kronor digits of an amount: beyond any company's books (Fortnox takes amounts as floating-point numbers,
# exact to the öre only below about 90 000 billion kronor).
MAX_KRONOR_DIGITS = 13
MAX_ACCOUNT_DIGITS = 20  # staging's account columns; BAS accounts have four, some programs six
# Control characters other than tab and line ends are read as spaces, as our SIE files write them:
# a form feed in a voucher's text must not break a record in two (str.splitlines takes it for a line
# end), nor a zero byte the staging database. Looked for in the bytes first: most files have none.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])


class _LineTooLong(SieSyntaxError):
    """A line longer than MAX_LINE; the reader that counts lines names it."""

    def __init__(self) -> None:
        super().__init__(None, f"a line longer than {MAX_LINE:,} characters".replace(",", " "))


def detect_encoding(data: bytes | Path) -> str:
    return _detected(data)[0]


def _detected(data: bytes | Path) -> tuple[str, bool]:
    """UTF-8 or UTF-16 by a byte order mark; else CP437 for plain ASCII, UTF-8 when the bytes are valid
    UTF-8, else whichever of CP437 and Windows-1252 reads more of the high bytes as Swedish letters.
    Bytes with many zero bytes (UTF-16 without its mark, a binary file) raise SieSyntaxError.
    Reads a path chunk by chunk. Also says whether the text may hold control characters: C0 or DEL
    bytes, or non-ASCII UTF-8 or UTF-16 (whose control characters bytes do not show)."""
    high = Counter()
    controls = False
    utf8 = codecs.getincrementaldecoder("utf-8")()
    valid_utf8 = True
    zeros = size = 0
    for chunk in _byte_chunks(data):
        if not size:
            if chunk.startswith(codecs.BOM_UTF8):
                return "utf-8-sig", True
            if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return "utf-16", True
        size += len(chunk)
        zeros += chunk.count(0)
        controls = controls or len(chunk.translate(None, _CONTROL_BYTES)) < len(chunk)
        if valid_utf8:
            try:
                utf8.decode(chunk)  # validates only; the text is not kept
            except UnicodeDecodeError:
                valid_utf8 = False
        if not chunk.isascii():
            high.update(chunk.translate(None, _ASCII))
    if zeros * 100 > size:
        raise SieSyntaxError(None, f"this is not a SIE file: it holds zero bytes, as a binary file or UTF-16 without "
                                   f"a byte order mark does; SIE files are read in {ENCODINGS_READ}")
    if not high:
        return "cp437", controls
    if valid_utf8:
        try:
            utf8.decode(b"", final=True)
            return "utf-8", True
        except UnicodeDecodeError:
            pass

    def swedish_share(encoding: str) -> int:
        return sum(count for byte, count in high.items()
                   if bytes([byte]).decode(encoding, errors="replace") in _SWEDISH)

    candidates = _CANDIDATES if _NOT_CP1252.isdisjoint(high) else ("cp437",)
    return max(candidates, key=swedish_share), controls


def _byte_chunks(source: bytes | Path) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), _CHUNK_BYTES):
            yield bytes(view[start:start + _CHUNK_BYTES])
        return
    with open(source, "rb") as file:
        while chunk := file.read(_CHUNK_BYTES):
            yield chunk


def _texts(source: bytes | Path, encoding: str, controls: bool = True) -> Iterator[str]:
    """The decoded text in pieces of whole lines, control characters as spaces: split into lines, the
    pieces give exactly the lines str.splitlines gives for the whole text. A line longer than MAX_LINE
    raises _LineTooLong before it is held whole."""
    binary = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else open(source, "rb")
    with io.TextIOWrapper(binary, encoding=encoding, newline="") as text:
        carry = ""
        while chunk := _decoded(text, encoding):
            if controls:
                chunk = _CONTROL.sub(" ", chunk)
            chunk = carry + chunk
            # after the last \n, or the last \r not at the end (its \n may come with the next chunk)
            cut = chunk.rfind("\n") + 1 or chunk.rfind("\r", 0, len(chunk) - 1) + 1
            carry = chunk[cut:]
            if cut:
                yield chunk[:cut]
            if len(carry) > MAX_LINE:
                raise _LineTooLong()
        if carry:
            yield carry


def _sie_texts(source: bytes | Path, encoding: str, controls: bool) -> Iterator[str]:
    """_texts, refusing at once a file that is empty or does not begin as a SIE file does."""
    texts = _texts(source, encoding, controls)
    for text in texts:
        begins = text.lstrip()
        if begins:
            if not begins.startswith("#"):
                raise SieSyntaxError(None, f"this is not a SIE file: it begins {begins[:30]!r}, where a SIE file "
                                           "begins with a #LABEL line such as #FLAGGA 0")
            yield text
            yield from texts
            return
        yield text
    raise SieSyntaxError(None, "the file is empty")


def _decoded(text: io.TextIOWrapper, encoding: str) -> str:
    try:
        return text.read(_CHUNK_BYTES)
    except UnicodeDecodeError as error:
        raise SieSyntaxError(None, f"the file is not valid {encoding.upper().removesuffix('-SIG')} "
                                   f"({error.reason}), though it begins as such; SIE files are read in "
                                   f"{ENCODINGS_READ}") from None


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
            separator = _SEPARATOR(line, position)
            end = separator.start() if separator else length
            fields.append(line[position:end])
            position = end
    return fields


_SEPARATOR = re.compile(r"[ \t]").search


def _quoted(line: str, position: int, line_no: int) -> tuple[str, int]:
    end = line.find('"', position)
    if end >= 0 and "\\" not in line[position:end]:
        return line[position:end], end + 1
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


def iter_records(data: bytes | Path) -> Iterator[Record]:
    line_no = 0
    for text in _texts(data, detect_encoding(data)):
        for line in text.splitlines():
            line_no += 1
            record = _record(line.strip(), line_no)
            if record is not None:
                yield record


def _record(stripped: str, line_no: int) -> Record | None:
    if not stripped:
        return None
    if stripped in ("{", "}"):
        return Record(line_no, stripped, [])
    if not stripped.startswith("#"):
        raise SieSyntaxError(line_no, f"expected a #LABEL, found {stripped[:30]!r}")
    parts = split_fields(stripped, line_no)
    return Record(line_no, parts[0].upper(), parts[1:])


_AMOUNT = re.compile(r"(-?)([0-9]+)(?:[.,]([0-9]+))?").fullmatch


def parse_amount(value: object, line_no: int) -> int:
    """An amount in öre, as SIE writes it: -1234.50; a decimal comma is accepted, as some programs write one."""
    text = str(value)
    match = _AMOUNT(text)
    if match is None:
        written = text.lower()
        if any(char.isdigit() for char in written) and "e" in written:
            raise SieSyntaxError(line_no, f"amount {text!r} has an exponent; SIE writes amounts in full, as -1234.50")
        raise SieSyntaxError(line_no, f"{text!r} is not an amount (SIE writes amounts as -1234.50)")
    minus, kronor, decimals = match.groups()
    if decimals and len(decimals) > 2:
        raise SieSyntaxError(line_no, f"amount {text} has more than two decimals")
    kronor = kronor.lstrip("0") or "0"
    if len(kronor) > MAX_KRONOR_DIGITS:
        raise SieSyntaxError(line_no, f"amount {text} is beyond any company's books (at most "
                                      f"{'9' * MAX_KRONOR_DIGITS}.99)")
    ore = _ore(kronor, decimals or "")
    return -ore if minus else ore


_DATES: dict[str, dt.date] = {}  # a year has few distinct dates, and strptime is slow


def parse_date(value: object, line_no: int) -> dt.date:
    text = str(value)
    date = _DATES.get(text)
    if date is not None:
        return date
    try:
        if len(text) != 8 or not text.isascii():
            raise ValueError
        date = dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise SieSyntaxError(line_no, f"{value!r} is not a date (YYYYMMDD)") from None
    if len(_DATES) < 100_000:
        _DATES[text] = date
    return date


_INTEGER = re.compile(r"-?[0-9]+").fullmatch


def _int(value: object, line_no: int, what: str, digits: int = 9) -> int:
    """A whole number of at most `digits` digits (what staging's columns hold)."""
    text = str(value)
    if not _INTEGER(text):
        raise SieSyntaxError(line_no, f"{what} {text[:30]!r} is not a number")
    if len(text.lstrip("-0")) > digits:
        raise SieSyntaxError(line_no, f"{what} {text[:30]} is larger than any {what} (at most {digits} digits)")
    return int(text)


_ACCOUNT = re.compile(rf"[0-9]{{1,{MAX_ACCOUNT_DIGITS}}}").fullmatch


def parse_account(value: object, line_no: int) -> str:
    """An account number as the file writes it: digits, leading zeros kept (`0351` is not `351`)."""
    if isinstance(value, str) and _ACCOUNT(value):
        return value
    shown = "an {object list}" if isinstance(value, list) else repr(str(value)[:30])
    raise SieSyntaxError(line_no, f"account {shown} is not an account number (SIE writes one as digits, at most "
                                  f"{MAX_ACCOUNT_DIGITS} of them, such as 1930)")


Objects = tuple[tuple[str, str], ...]  # ((dimension, object), ...): an {object list} as pairs


def object_pairs(fields: list, line_no: int) -> Objects:
    if len(fields) % 2:
        raise SieSyntaxError(line_no, "an object list must hold dimension and object pairs")
    pairs = tuple((str(fields[index]), str(fields[index + 1])) for index in range(0, len(fields), 2))
    for dimension, _ in pairs:
        if not _DIMENSION(dimension):
            raise SieSyntaxError(line_no, f"dimension {dimension[:30]!r} in an object list is not a number "
                                          "(at most 9 digits)")
    return pairs


_DIMENSION = re.compile(r"[0-9]{1,9}").fullmatch


@dataclass(slots=True)
class Transaction:
    kind: str  # TRANS, RTRANS or BTRANS
    account: str  # as written: 0351 stays 0351
    objects: list
    amount_ore: int
    text: str
    line_no: int
    quantity: str | None = None
    date: dt.date | None = None  # the row's own transdat, when the file gives one
    sign: str | None = None  # who entered the row (#BTRANS, #RTRANS: who removed or added it)

    def object(self, dimension: int) -> str | None:
        """The object of a dimension in the row's object list ({1 "100" 6 "P1"}: 1 cost centre, 6 project)."""
        return dict(self.pairs).get(str(dimension))

    @property
    def pairs(self) -> Objects:
        return object_pairs(self.objects, self.line_no)


@dataclass(slots=True)
class Voucher:
    series: str
    number: str
    date: dt.date
    text: str
    line_no: int
    registered: dt.date | None = None
    sign: str | None = None  # who registered the voucher
    transactions: list[Transaction] = field(default_factory=list)

    def counted(self) -> list[Transaction]:
        """The rows that make up the voucher: #BTRANS is history, #RTRANS counts once."""
        return [t for t in self.transactions if t.kind != "BTRANS"]


@dataclass
class SieFile:
    encoding: str = "cp437"
    labels: dict[str, list] = field(default_factory=dict)  # single-valued header records by label
    header_records: list[tuple[str, list]] = field(default_factory=list)  # every header line, repeated ones too
    years: dict[int, tuple[dt.date, dt.date]] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # account number as written -> name
    account_types: dict[str, str] = field(default_factory=dict)
    sru: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the codes as written, in file order (BL writes two)
    units: dict[str, str] = field(default_factory=dict)
    dimensions: dict[int, str] = field(default_factory=dict)
    subdimensions: dict[int, tuple[str, int]] = field(default_factory=dict)  # dim -> (name, parent dim)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)  # (dim, object) -> name
    opening: dict[tuple[int, str], int] = field(default_factory=dict)  # (year index, account) -> öre
    closing: dict[tuple[int, str], int] = field(default_factory=dict)
    results: dict[tuple[int, str], int] = field(default_factory=dict)
    object_opening: dict[tuple[int, str, Objects], int] = field(default_factory=dict)  # (index, account, objects)
    object_closing: dict[tuple[int, str, Objects], int] = field(default_factory=dict)
    period_balances: dict[tuple[int, str, str, Objects], int] = field(default_factory=dict)  # (index, YYYYMM, account, objects)
    period_budgets: dict[tuple[int, str, str, Objects], int] = field(default_factory=dict)
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
_ACCOUNT_PROPERTIES = {"#KTYP": "account_types", "#ENHET": "units"}


def read_sie(path: Path) -> SieFile:
    """The whole file in memory, vouchers included; for a large year use SieStream instead."""
    return parse_sie(Path(path))


def parse_sie(data: bytes | Path) -> SieFile:
    """The whole file in memory, vouchers included; for a large year use SieStream instead."""
    stream = SieStream(data)
    vouchers = list(stream)
    stream.sie.vouchers = vouchers
    return stream.sie


# A #TRANS/#RTRANS/#BTRANS line as nearly every program writes it: bare account, {object list} and
# plain amount, then a tail of at most transdate, "text", quantity, sign and a bare rest. Any other line
# takes the general path, so both give the same result, errors included.
_FAST_ROW = re.compile(
    r'#(TRANS|RTRANS|BTRANS)[ \t]+([0-9]{1,9})[ \t]+\{([^}]*)\}[ \t]+(-?)([0-9]{1,13})(?:\.([0-9]{1,2}))?(?![^ \t])').match
_FIELD = r'(?:"[^"\\]*"|[^ \t"{][^ \t]*)'
_FAST_TAIL = re.compile(
    rf'(?:[ \t]+({_FIELD})(?:[ \t]+({_FIELD})(?:[ \t]+({_FIELD})(?:[ \t]+({_FIELD})(?:[ \t]+[^"{{]*)?)?)?)?)?[ \t]*'
).fullmatch
# A #VER line of series, number, date and at most "text", regdate, sign and a bare rest, none escaped.
_FAST_VER = re.compile(
    rf'#VER[ \t]+({_FIELD})[ \t]+({_FIELD})[ \t]+({_FIELD})'
    rf'(?:[ \t]+({_FIELD})(?:[ \t]+({_FIELD})(?:[ \t]+({_FIELD})(?:[ \t]+[^"{{]*)?)?)?)?'
).fullmatch
_PLAIN_QUANTITY = re.compile(r'-?[0-9]{1,14}(?:\.[0-9]{1,10})?').fullmatch
_TAILS_KEPT = 1_000  # the rows of a voucher mostly share their tail (its text); older tails are forgotten

# A whole voucher written plainly: a #VER line with a numeric number and an 8-digit date, then '{',
# only #TRANS and #BTRANS lines that the fast patterns above read (an {object list} of plain pairs,
# a plain or empty quantity), and '}', one record a line, lines ending in \n or \r\n. Most of a year
# is written so, and such a voucher is read with one regular expression for all its rows, which
# costs a fraction of reading line by line; every other voucher (#RTRANS, escapes, blank lines, a
# #KSUMMA part, ...) is read line by line. The patterns exclude every character str.splitlines or
# str.strip takes for a line break or white space, so both paths see the same lines and fields.
_BREAKS = "\\r\\n\\x0b\\x0c\\x1c-\\x1e\\x85\\u2028\\u2029"
_PLAIN_FIELD = rf'(?:"[^"\\{_BREAKS}]*"|[^\s"{{]\S*)'
_PLAIN_REST = rf'(?:[ \t]+[^"{{{_BREAKS}]*)?'
_PLAIN_OBJECT = rf'(?:"[^"\\{{}}{_BREAKS}]*"|[^\s"{{}}]+)'
_PLAIN_HEAD = re.compile(
    rf'#VER[ \t]+({_PLAIN_FIELD})[ \t]+([0-9]{{1,9}})[ \t]+([0-9]{{8}})(?:[ \t]+({_PLAIN_FIELD})'
    rf'(?:[ \t]+({_PLAIN_FIELD})(?:[ \t]+({_PLAIN_FIELD}){_PLAIN_REST})?)?)?[ \t]*\r?\n\{{\r?\n').match
# Each row's kind, account, object list, minus, kronor, öre, transdate, text, quantity and sign; a row
# starts a line, so that as many rows as lines means every line is a row.
_PLAIN_ROWS = re.compile(
    rf'^[ \t]*#(TRANS|BTRANS)[ \t]+([0-9]{{1,9}})[ \t]+\{{((?:[ \t]*{_PLAIN_OBJECT}[ \t]+{_PLAIN_OBJECT})*[ \t]*)\}}'
    rf'[ \t]+(-?)([0-9]{{1,13}})(?:\.([0-9]{{1,2}}))?(?:[ \t]+({_PLAIN_FIELD})(?:[ \t]+({_PLAIN_FIELD})'
    rf'(?:[ \t]+(""|-?[0-9]{{1,14}}(?:\.[0-9]{{1,10}})?)(?:[ \t]+({_PLAIN_FIELD}){_PLAIN_REST})?)?)?)?[ \t]*\r?\n',
    re.MULTILINE).findall


class PlainVoucher(NamedTuple):
    """A voucher written plainly (see _PLAIN_HEAD), its rows as their fields' text: kind (TRANS or
    BTRANS), account, the {object list}'s inside, "-" or "", kronor, öre ("", 1 or 2 digits), transdate, text
    and sign (quoted or bare, "" if none) and quantity (a plain number, '""' or "" if none). The transdate
    is not checked yet: row_date(field, line_no) reads it, or says why the row's line cannot be read."""
    series: str
    number: str
    date: dt.date
    text: str
    registered: dt.date | None
    sign: str | None
    rows: list[tuple[str, str, str, str, str, str, str, str, str, str]]
    line_no: int


class SieStream:
    """A SIE file read once, front to back, handing out its vouchers one at a time.

    Iterate it for the vouchers (each complete with its rows, then forgotten); `sie` holds everything
    else (header, years, chart, objects, balances) as read so far, and all of it once iteration
    ended, when the #KSUMMA control sum is verified too. `sie.vouchers` stays empty. A line that
    cannot be read raises SieSyntaxError during iteration. `source` is a file's path or its bytes.
    `parts()` is the same iteration with plainly written vouchers left as PlainVoucher (their fields'
    text), for a reader that wants their rows in bulk (the staging of a large year).
    """

    def __init__(self, source: bytes | Path) -> None:
        self.source = source if isinstance(source, (bytes, bytearray, memoryview)) else Path(source)
        encoding, self._controls = _detected(self.source)
        self.sie = SieFile(encoding=encoding)
        self._object_lists: dict[str, list] = {}  # few distinct {object lists}: parse each once
        self._tails: dict[str, tuple[str, str | None]] = {}
        self._voucher: Voucher | None = None
        self._in_voucher = False
        self._pending_rtrans: Transaction | None = None
        self._checksum = Checksum()

    def __iter__(self) -> Iterator[Voucher]:
        for part in self.parts():
            if type(part) is PlainVoucher:
                part = self._plain_voucher(part)
            yield part

    def parts(self) -> Iterator[Voucher | PlainVoucher]:
        line_no = 0  # lines read so far
        try:
            for text in _sie_texts(self.source, self.sie.encoding, self._controls):
                position = start = 0  # text before `position` is read; a plain voucher is looked for from `start`
                while (start := _next_head(text, start)) >= 0:
                    head = _PLAIN_HEAD(text, start)
                    rows, end = _plain_rows(text, head.end()) if head else (None, 0)
                    if rows is None:
                        start += 1
                        continue
                    if start > position:
                        lines = text[position:start].splitlines()
                        yield from self._lines(lines, line_no)
                        line_no += len(lines)
                    if self._in_voucher or self._checksum.open:  # an error to report, or a checked part
                        lines = text[start:end].splitlines()
                        yield from self._lines(lines, line_no)
                        line_no += len(lines)
                    else:
                        if self._voucher is not None:
                            yield self._voucher  # a #VER without { }: a voucher without rows
                            self._voucher = None
                        self._pending_rtrans = None
                        series, number, day, voucher_text, registered, sign = head.groups()
                        series, voucher_text = _unquoted(series), _unquoted(voucher_text)
                        first = line_no + 1
                        yield PlainVoucher(series, number, _DATES.get(day) or parse_date(day, first), voucher_text or "",
                                           _optional_date(_unquoted(registered), first), _unquoted(sign) or None,
                                           rows, first)
                        line_no += len(rows) + 3
                    position = start = end
                if position < len(text):
                    lines = text[position:].splitlines()
                    yield from self._lines(lines, line_no)
                    line_no += len(lines)
        except _LineTooLong as error:
            if not line_no:
                raise SieSyntaxError(None, f"this is not a SIE file: it has no line breaks ({error.reason} "
                                           "begins it)") from None
            raise SieSyntaxError(line_no + 1, f"{error.reason}; no SIE record is that long: the file is damaged "
                                              "or not a SIE file") from None
        voucher = self._voucher
        if self._in_voucher:
            raise SieSyntaxError(voucher.line_no, f"the file ends inside voucher {voucher.series} {voucher.number}, "
                                                  "which is never closed with '}': it was cut short")
        if voucher is not None:
            yield voucher
        if self._checksum.open:
            raise SieSyntaxError(self._checksum.opened_on,
                                 "#KSUMMA opens a checked part but no closing #KSUMMA carries the sum")

    def _plain_voucher(self, plain: PlainVoucher) -> Voucher:
        voucher = Voucher(plain.series, plain.number, plain.date, plain.text, plain.line_no, plain.registered,
                          plain.sign)
        for line_no, (kind, account, inner, minus, kronor, cents, date, text, quantity, sign) in enumerate(
                plain.rows, plain.line_no + 2):
            ore = _ore(kronor, cents)
            voucher.transactions.append(Transaction(kind, account, self._objects(inner, line_no), -ore if minus else ore,
                                                    _unquoted(text), line_no, _unquoted(quantity) or None,
                                                    row_date(date, line_no), _unquoted(sign) or None))
        return voucher

    def _lines(self, lines: list[str], line_no: int) -> Iterator[Voucher]:
        """Every line outside the plainly written vouchers, read one by one; `line_no` is the line before them."""
        sie, checksum = self.sie, self._checksum
        for line in lines:
            line_no += 1
            stripped = line.strip()
            if stripped == "{" or stripped == "}":
                label = stripped  # braces add nothing to #KSUMMA
            else:
                fields = None
                if not checksum.open:
                    if self._in_voucher:
                        transaction = self._fast_transaction(stripped, line_no)
                        if transaction is not None:
                            self._add(transaction)
                            continue
                    elif stripped.startswith("#VER"):
                        fast = _FAST_VER(stripped)
                        if fast is not None:
                            label, fields = "#VER", [_unquoted(value) for value in fast.groups() if value is not None]
                if fields is None:
                    record = _record(stripped, line_no)
                    if record is None:
                        continue
                    label, fields = record.label, record.fields
                    if label == "#KSUMMA":
                        _control_sum(sie, checksum, fields, line_no)
                        continue
                    checksum.add(label, fields)
            if label == "{":
                if self._voucher is None or self._in_voucher:
                    raise SieSyntaxError(line_no, "'{' without a #VER before it")
                self._in_voucher = True
            elif label == "}":
                if not self._in_voucher:
                    raise SieSyntaxError(line_no, "'}' without an open voucher")
                yield self._voucher
                self._in_voucher, self._voucher, self._pending_rtrans = False, None, None
            elif label in ("#TRANS", "#RTRANS", "#BTRANS"):
                if not self._in_voucher:
                    raise SieSyntaxError(line_no, f"{label} outside a voucher's {{ }}")
                self._add(_transaction(label[1:], fields, line_no))
            elif label == "#VER":
                if self._in_voucher:
                    raise SieSyntaxError(line_no, "#VER inside another voucher's { }")
                if self._voucher is not None:
                    yield self._voucher  # a #VER without { }: a voucher without rows
                self._voucher = _voucher(fields, line_no)
            else:
                _chart_record(sie, label, fields, line_no)

    def _add(self, transaction: Transaction) -> None:
        pending = self._pending_rtrans
        if transaction.kind == "TRANS" and pending and _same_row(pending, transaction):
            self._pending_rtrans = None  # the copy written for older readers: already counted as #RTRANS
            return
        self._pending_rtrans = transaction if transaction.kind == "RTRANS" else None
        self._voucher.transactions.append(transaction)

    def _fast_transaction(self, line: str, line_no: int) -> Transaction | None:
        """The row of a plainly written line, or None for the general path to read it."""
        match = _FAST_ROW(line)
        if match is None:
            return None
        kind, account, inner, minus, kronor, cents = match.groups()
        objects = self._objects(inner, line_no)
        rest = line[match.end():]
        tail = self._tails.get(rest) or self._tail(rest, line_no)
        if tail is None:
            return None
        ore = _ore(kronor, cents)
        text, quantity, date, sign = tail
        return Transaction(kind, account, objects, -ore if minus else ore, text, line_no, quantity, date, sign)

    def _objects(self, inner: str, line_no: int) -> list:
        objects = self._object_lists.get(inner)
        if objects is None:
            objects = split_fields(inner, line_no)
            object_pairs(objects, line_no)
            self._object_lists[inner] = objects
        return objects

    def _tail(self, tail: str, line_no: int) -> tuple[str, str | None, dt.date | None, str | None] | None:
        """The row's text, quantity, date and sign from the fields after its amount."""
        match = _FAST_TAIL(tail)
        if match is None:
            return None
        date, text, quantity, sign = (_unquoted(value) for value in match.groups())
        if not quantity:
            quantity = None
        elif _PLAIN_QUANTITY(quantity) is None:
            parse_quantity(quantity, line_no)
        date = _optional_date(date, line_no)
        if len(self._tails) >= _TAILS_KEPT:
            self._tails.clear()
        self._tails[tail] = (text or "", quantity, date, sign or None)
        return self._tails[tail]


def _plain_rows(text: str, start: int) -> tuple[list | None, int]:
    """The rows of a plainly written voucher whose '{' line ends at `start`, and where the voucher
    ends; None if it is not written plainly."""
    close = text.find("\n}", start - 1)
    if close < 0:
        return None, 0
    end = close + (4 if text.startswith("}\r\n", close + 1) else 3 if text.startswith("}\n", close + 1) else 0)
    body = text[start:close + 1]
    rows = _PLAIN_ROWS(body)
    if end <= close or len(rows) != body.count("\n"):  # each line a plain row, the last '}' alone
        return None, 0
    return rows, end


def _next_head(text: str, position: int) -> int:
    """Where the next line starting with #VER starts, from a line's start or within one; -1 if none."""
    if text.startswith("#VER", position):
        return position
    found = text.find("\n#VER", position)
    return found + 1 if found >= 0 else -1


def _ore(kronor: str, cents: str) -> int:
    return int(kronor + cents.ljust(2, "0")) if cents else int(kronor) * 100


def _unquoted(field: str | None) -> str | None:
    return field[1:-1] if field and field[0] == '"' else field


def _voucher(fields: list, line_no: int) -> Voucher:
    if len(fields) < 3:
        raise SieSyntaxError(line_no, "#VER needs series, number and date")
    registered = fields[4] if len(fields) > 4 and str(fields[4]).strip() else None
    number = str(fields[1])
    if number.isdigit() and len(number.lstrip("0")) > 9:
        raise SieSyntaxError(line_no, f"voucher number {number[:30]} is larger than any voucher number (at most 9 digits)")
    return Voucher(str(fields[0]), str(fields[1]), parse_date(fields[2], line_no),
                   str(fields[3]) if len(fields) > 3 else "", line_no,
                   parse_date(registered, line_no) if registered else None, _text_field(fields, 5) or None)


def _chart_record(sie: SieFile, label: str, fields: list, line_no: int) -> None:
    """Every record outside the vouchers: header, years, chart, objects, balances."""
    if label in _HEADER_LABELS:
        sie.labels.setdefault(label, fields)
        sie.header_records.append((label, fields))  # several #PROSA lines are common
    elif label == "#RAR":
        _need(fields, 3, line_no, "#RAR needs year index, start and end")
        sie.years[_int(fields[0], line_no, "year index")] = (parse_date(fields[1], line_no), parse_date(fields[2], line_no))
    elif label == "#KONTO":
        _need(fields, 2, line_no, "#KONTO needs account and name")
        sie.accounts[parse_account(fields[0], line_no)] = str(fields[1])
    elif label == "#SRU":  # an account may have a code for each tax form
        _need(fields, 2, line_no, "#SRU needs account and code")
        account = parse_account(fields[0], line_no)
        sie.sru[account] = (*sie.sru.get(account, ()), str(fields[1]))
    elif label in _ACCOUNT_PROPERTIES:
        _need(fields, 2, line_no, f"{label} needs account and value")
        value = str(fields[1])
        getattr(sie, _ACCOUNT_PROPERTIES[label])[parse_account(fields[0], line_no)] = (
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
        key = (_int(fields[0], line_no, "year index"), parse_account(fields[1], line_no))
        getattr(sie, _BALANCES[label])[key] = parse_amount(fields[2], line_no)
    elif label in _OBJECT_BALANCES:
        if len(fields) < 4 or not isinstance(fields[2], list):
            raise SieSyntaxError(line_no, f"{label} needs year index, account, {{objects}} and amount")
        key = (_int(fields[0], line_no, "year index"), parse_account(fields[1], line_no),
               object_pairs(fields[2], line_no))
        getattr(sie, _OBJECT_BALANCES[label])[key] = parse_amount(fields[3], line_no)
    elif label in _PERIOD_BALANCES:
        if len(fields) >= 4 and not isinstance(fields[3], list):
            fields = [*fields[:3], [], *fields[3:]]  # no object list at all, as older programs write it: none
        if len(fields) < 5 or not isinstance(fields[3], list):
            raise SieSyntaxError(line_no, f"{label} needs year index, period, account, {{objects}} and amount")
        key = (_int(fields[0], line_no, "year index"), _period(fields[1], line_no),
               parse_account(fields[2], line_no), object_pairs(fields[3], line_no))
        getattr(sie, _PERIOD_BALANCES[label])[key] = parse_amount(fields[4], line_no)
    # Any other label is one we do not need here; SIE tells readers to skip those.


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
    stated = _int(fields[0], line_no, "control sum", digits=10)
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
    quantity = _text_field(fields, 5) or None
    if quantity is not None:
        parse_quantity(quantity, line_no)
    return Transaction(kind, parse_account(fields[0], line_no), fields[1], parse_amount(fields[2], line_no),
                       _text_field(fields, 4), line_no, quantity, _optional_date(_text_field(fields, 3), line_no),
                       _text_field(fields, 6) or None)


def _text_field(fields: list, index: int) -> str:
    """An optional field that is not an {object list}; "" when there is none."""
    return fields[index] if len(fields) > index and isinstance(fields[index], str) else ""


def _optional_date(value: str | None, line_no: int) -> dt.date | None:
    """A date field that may be left empty ("" or blank), as the optional transdat and regdat are."""
    if not value or not value.strip():
        return None
    return _DATES.get(value) or parse_date(value, line_no)


def row_date(field: str, line_no: int) -> dt.date | None:
    """The date of a PlainVoucher's row from its transdate field (quoted, bare or none); SieSyntaxError
    naming `line_no` when it is no date."""
    return _optional_date(_unquoted(field), line_no)


_QUANTITY = re.compile(r"-?[0-9]{1,14}(?:[.,][0-9]{1,10})?").fullmatch


def parse_quantity(value: object, line_no: int) -> Decimal:
    if not _QUANTITY(str(value)):
        raise SieSyntaxError(line_no, f"quantity {str(value)[:30]!r} is not a number (at most 14 digits and 10 decimals)")
    return Decimal(str(value).replace(",", "."))


def _same_row(first: Transaction, second: Transaction) -> bool:
    return (first.account, first.amount_ore, first.objects) == (second.account, second.amount_ore, second.objects)
