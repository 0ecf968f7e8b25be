"""Real SIE files from other programs (../shared/corpus/sie, see its SOURCES.md) through `sie import` and back out.

Each file is imported for a client made to match it (its #ORGNR, or --without-orgnr where it names no
valid one; its #RAR 0's first month as the fiscal year's start). SOURCES.md says per file what must
happen: **import** files import and the file written from staging gives back every record of theirs
(only #FLAGGA, #PROGRAM, #GEN and #KSUMMA may differ); **refuse** files are refused naming the line
or the voucher; **either** files import as losslessly, their inconsistencies reported by the checks,
or are refused saying why.

Account numbers are also compared as the files' bytes write them (written_accounts), apart from the reader:
a reader that took 0027 for 27 would do so on both sides of the record by record comparison.

What the written file may add to a file's records: what it derives for kinds of records the file does
not state at all (#IB #UB #RES #OIB #OUB #PSALDO from the vouchers, #KTYP by the BAS class, #OMFATTN),
balances of zero, and the accounts it uses without declaring them (created without a name).
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from fortnox_etl.config import Client, organisation_number_normal_form
from fortnox_etl.period_end.sie_import import SieImportRefused, import_sie_file
from fortnox_etl.sie.reader import SieFile, SieSyntaxError, detect_encoding, read_sie, split_fields
from fortnox_etl.sie.writer import write_sie4
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from shared_material import SHARED, shared_path

MAY_DIFFER = {"#FLAGGA", "#PROGRAM", "#GEN", "#KSUMMA"}
DECIMALS = re.compile(r"-?\d+\.\d*|-0+")
# A balance record's fields up to its amount: with no more fields than that, its amount was zero.
BALANCE_FIELDS = {"#IB": 3, "#UB": 3, "#RES": 3, "#OIB": 4, "#OUB": 4, "#PSALDO": 5, "#PBUDGET": 5}
# The account field of a #KONTO line or a voucher row, quoted or bare.
ACCOUNT_FIELD = re.compile(r'^[ \t]*#(KONTO|TRANS|RTRANS|BTRANS)[ \t]+"?([^\s"{]*)', re.MULTILINE)
DERIVED = ("opening", "closing", "results", "object_opening", "object_closing", "period_balances")
STATED = ("years", "sru", "units", "dimensions", "subdimensions", "objects", "period_budgets")


def corpus() -> list[tuple[str, str, str]]:
    """(id, file, expect) of each file SOURCES.md lists; one placeholder that skips when it is absent."""
    sources = SHARED / "corpus" / "sie" / "SOURCES.md"
    if not sources.exists():
        return [("absent", "SOURCES.md", "import")]
    rows = [line.split("|") for line in sources.read_text(encoding="utf-8").splitlines()
            if re.match(r"\| [A-Z]\d\d \|", line)]
    return [(row[1].strip(), row[2].strip().strip("`"), row[8].strip()) for row in rows]


@pytest.fixture
def engine(staging):
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    return engine


def client_for(sie: SieFile) -> tuple[Client, bool]:
    """A client whose books the file is, and whether it must be taken --without-orgnr."""
    number = organisation_number_normal_form(sie.header("#ORGNR"))
    start = sie.years[0][0].month if 0 in sie.years else 1
    return Client(key="corpus", name=sie.header("#FNAMN") or "corpus", organisation_number=number or "556677-8899",
                  fiscal_year_start_month=start), number is None


def row(transaction) -> tuple:
    quantity = Decimal(transaction.quantity.replace(",", ".")).normalize() if transaction.quantity else None
    return (transaction.kind, transaction.account, transaction.pairs, transaction.amount_ore, transaction.text,
            quantity or None, transaction.date, transaction.sign)


def vouchers(sie: SieFile) -> list:
    return sorted((v.series, int(v.number), v.date, v.text, v.registered, v.sign, tuple(map(row, v.transactions)))
                  for v in sie.vouchers)


def headers(sie: SieFile) -> dict[str, list[list[str]]]:
    """Every header line's fields by label, repeated labels (#PROSA) in their order."""
    by_label: dict[str, list[list[str]]] = {}
    for label, fields in sie.header_records:
        by_label.setdefault(label, []).append([str(f) for f in fields])
    return by_label


def written_accounts(path) -> tuple[set[str], set[str]]:
    """The accounts of the file's #KONTO lines and of its rows, as its bytes write them."""
    data = path.read_bytes()
    declared, used = set(), set()
    for label, account in ACCOUNT_FIELD.findall(data.decode(detect_encoding(data))):
        (declared if label == "KONTO" else used).add(account)
    return declared, used


def field_as_written(field) -> str:
    if isinstance(field, list):
        return "{" + " ".join(map(str, field)) + "}"
    if DECIMALS.fullmatch(field):  # 100.50 is 100.5, and -0.00 is 0
        number = Decimal(field)
        return "0" if number == 0 else str(number.normalize()) if number != number.to_integral() else str(int(number))
    return str(field)


def records_as_written(path) -> set[str]:
    """The file's records field by field as its bytes write them, apart from how a number is written (100 and
    100.00 are one amount), a record's trailing empty fields and zero quantity, and balances of zero."""
    data = path.read_bytes()
    records = set()
    for line_no, line in enumerate(data.decode(detect_encoding(data)).splitlines(), start=1):
        fields = [field_as_written(f) for f in split_fields(line.strip(), line_no)] if line.strip().startswith("#") else []
        while len(fields) > 1 and fields[-1] in ("", "0"):
            fields.pop()
        if fields and fields[0] not in MAY_DIFFER and len(fields) > BALANCE_FIELDS.get(fields[0], 0):
            records.add(" ".join(fields))
    return records


def assert_gives_back_every_record(ours: SieFile, theirs: SieFile) -> None:
    written = headers(ours)
    for label, lines in headers(theirs).items():
        if label not in MAY_DIFFER:
            assert written.get(label) == lines, label
    for name in STATED:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert {a: n for a, n in ours.accounts.items() if a in theirs.accounts} == theirs.accounts
    assert all(name == "" for a, name in ours.accounts.items() if a not in theirs.accounts), "only undeclared ones"
    assert {a: t for a, t in ours.account_types.items() if a in theirs.account_types} == theirs.account_types
    for name in DERIVED:
        stated, written = getattr(theirs, name), getattr(ours, name)
        kinds = {key[0] for key in stated}  # the year indexes the file states this kind for
        assert {key: value for key, value in written.items() if key[0] in kinds and value} == \
            {key: value for key, value in stated.items() if value}, name
    assert vouchers(ours) == vouchers(theirs)


@pytest.mark.parametrize("file_id, name, expect", corpus(), ids=[entry[0] for entry in corpus()])
def test_a_real_file_is_imported_as_written_or_refused_clearly(engine, tmp_path, file_id, name, expect):
    path = shared_path("corpus", "sie", name)
    try:
        theirs = read_sie(path)
    except SieSyntaxError as error:
        assert expect in ("refuse", "either"), f"{file_id} must be read: {error}"
        assert error.line_no is not None or error.reason, "the refusal says where or why"
        return
    client, without_orgnr = client_for(theirs)
    try:
        summary = import_sie_file(engine, client, path, imported_by="corpus", without_orgnr=without_orgnr)
    except SieImportRefused as refused:
        assert expect in ("refuse", "either"), f"{file_id} must import: {refused}"
        if expect == "refuse":  # the line, the voucher, or the kind of file it is
            assert re.search(r"line \d+|voucher \S+ \d+|type \d", str(refused)), refused
        return
    assert expect in ("import", "either"), f"{file_id} must be refused"
    written = write_sie4(engine, client.key, summary.financial_year_id, tmp_path / "ours.se")
    assert_gives_back_every_record(read_sie(written.path), theirs)
    (declared, used), (their_declared, their_used) = written_accounts(written.path), written_accounts(path)
    assert their_declared <= declared and used == their_used, "account numbers as the file writes them"
    lost = sorted(records_as_written(path) - records_as_written(written.path))
    assert not lost, f"{len(lost)} records not given back as written, such as {lost[:5]}"
