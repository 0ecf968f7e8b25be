"""What a SIE file from another program holds beyond Fortnox's own files comes back out of staging: a row's own
date, who signed a voucher or a row, balance lines with several objects in one list, and the balances per object
of every dimension (built from the vouchers where the file does not state them).

Each file is imported with `sie import` and written with `sie export`, with and without the control sum (on
PostgreSQL the database formats the vouchers only without it), and read back.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from fortnox_etl.config import Client
from fortnox_etl.period_end.sie_import import SieImportRefused, import_sie_file
from fortnox_etl.sie.reader import SieFile, read_sie
from fortnox_etl.sie.rules import is_balance_account
from fortnox_etl.sie.writer import write_sie4
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from test_sie_corpus import assert_gives_back_every_record, vouchers

CLIENT = Client(key="other", name="Övrigt AB", organisation_number="556677-8899", fiscal_year_start_month=1)
HEAD = ["#FLAGGA 0", '#PROGRAM "Annat program" 1.0', "#FORMAT PC8", "#GEN 20260115", "#SIETYP 4",
        "#ORGNR 556677-8899", '#FNAMN "Övrigt AB"', "#RAR 0 20250101 20251231", "#RAR -1 20240101 20241231",
        '#KONTO 1510 "Kundfordringar"', '#KONTO 1930 "Bank"', '#KONTO 3001 "Försäljning"',
        '#DIM 1 "Kostnadsställe"', '#DIM 6 "Projekt"', '#DIM 7 "Anställd"', '#DIM 20 "Egen"',
        '#OBJEKT 1 "A" "Avdelning A"', '#OBJEKT 6 "P" "Projekt P"', '#OBJEKT 7 "E1" "Eva"', '#OBJEKT 20 "X" "Ett"']


@pytest.fixture
def engine(staging):
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    return engine


def round_trip(engine, tmp_path, lines: list[str]):
    """The file's import summary, the file as read, and the files written from staging, with and without the
    control sum, as read."""
    path = tmp_path / "theirs.se"
    path.write_bytes("\r\n".join([*HEAD, *lines, ""]).encode("cp437"))
    summary = import_sie_file(engine, CLIENT, path, imported_by="test")
    ours = [read_sie(write_sie4(engine, CLIENT.key, summary.financial_year_id, tmp_path / f"ours{checksum}.se",
                                checksum=checksum).path) for checksum in (False, True)]
    return summary, read_sie(path), ours


def test_a_rows_own_date_comes_back_as_the_file_gives_it(engine, tmp_path):
    summary, theirs, ours = round_trip(engine, tmp_path, [
        '#VER A 1 20250110 "Försäljning" 20250112', "{",
        '#TRANS 1510 {} 100.00 20250110 "the voucher\'s day"', '#TRANS 3001 {} -60.00 20250105 "a day of its own"',
        '#TRANS 3001 {} -30.00 "" "no day"', "#TRANS 3001 {} -10.00", '#TRANS 1930 {} 0 09991231 "long past"', "}",
        # read line by line: a row added after registration, and a tab before the date
        '#VER A 2 20250220 "Tillägg"', "{", '#RTRANS 1930 {} 5 20250221 "added"', '#TRANS 1930 {} 5 20250221 "added"',
        '#TRANS 3001 {} -5\t"20250219"', "}",
    ])
    for written in ours:
        assert vouchers(written) == vouchers(theirs)
        assert [t.date for v in written.vouchers for t in v.transactions] == [
            dt.date(2025, 1, 10), dt.date(2025, 1, 5), None, None, dt.date(999, 12, 31), dt.date(2025, 2, 21),
            dt.date(2025, 2, 19)]
    with engine.connect() as connection:
        staged = connection.execute(text(
            "SELECT trans_date FROM sie_transactions WHERE client_key = :client_key AND financial_year_id = :year "
            "ORDER BY series, number, row_no"), {"client_key": CLIENT.key, "year": summary.financial_year_id}).scalars()
        assert [day if day is None else str(day) for day in staged] == [
            "2025-01-10", "2025-01-05", None, None, "0999-12-31", "2025-02-21", "2025-02-19"], \
            "no date where the file gives none"


def test_who_signed_a_voucher_and_its_rows_comes_back(engine, tmp_path):
    _, theirs, ours = round_trip(engine, tmp_path, [
        '#VER A 1 20250110 "Signerad" 20250112 "Anna Andersson"', "{",
        '#TRANS 1510 {} 100.00 "" "" "" "Anna Andersson"', '#TRANS 3001 {} -100.00 20250110 "sold" 2 KOH',
        '#RTRANS 1930 {} 5 "" "added" "" "Bo \\"B\\" Berg"', '#TRANS 1930 {} 5 "" "added" "" "Bo \\"B\\" Berg"',
        "#TRANS 1510 {} -5", '#BTRANS 1930 {} 7 "" "" 0 "Kjell-Olov Högdahl"', "}",
        '#VER A 2 20250111 "Utan registreringsdag" "" "Bo Berg"', "{", "#TRANS 1930 {} 1", "#TRANS 3001 {} -1", "}",
    ])
    for written in ours:
        assert vouchers(written) == vouchers(theirs)
        assert [v.sign for v in written.vouchers] == ["Anna Andersson", "Bo Berg"]
        assert [v.registered for v in written.vouchers] == [dt.date(2025, 1, 12), None]
        assert [(t.kind, t.sign) for t in written.vouchers[0].transactions] == [
            ("TRANS", "Anna Andersson"), ("TRANS", "KOH"), ("RTRANS", 'Bo "B" Berg'), ("TRANS", None),
            ("BTRANS", "Kjell-Olov Högdahl")]


def test_the_copy_of_an_added_row_for_older_readers_is_unsigned_as_fortnox_writes_it(engine, tmp_path):
    round_trip(engine, tmp_path, [  # as in Fortnox's own year files (corpus F04, F05)
        '#VER B 1 20250401 "FA85/Payex Feb" 20250501', "{", '#TRANS 1510 {} 22750 "" "" 0',
        '#BTRANS 3010 {} -22750 "" "" 0 "Kjell-Olov Högdahl"', '#RTRANS 3001 {} -22750 "" "" 0 "Kjell-Olov Högdahl"',
        '#TRANS 3001 {} -22750 "" "" 0', "}",
    ])
    for name in ("oursFalse.se", "oursTrue.se"):
        written = (tmp_path / name).read_bytes().decode("cp437").splitlines()
        added = next(n for n, line in enumerate(written) if line.startswith("#RTRANS"))
        assert written[added:added + 2] == ['#RTRANS 3001 {} -22750.00 "" "" 0 "Kjell-Olov Högdahl"',
                                            '#TRANS 3001 {} -22750.00 "" "" 0'], name


SEVERAL_OBJECTS = [
    '#OIB 0 1510 {1 "A" 6 "P"} 50.00', '#OUB 0 1510 {1 "A" 6 "P"} 150.00', '#OIB 0 1510 {1 "A"} 50.00',
    '#OUB 0 1510 {1 "A"} 150.00', '#OUB -1 1510 {1 "A" 6 "P"} 50.00', '#OUB -1 1510 {6 "P" 1 "A"} 40.00',
    '#PSALDO 0 202501 1510 {1 "A" 6 "P"} 100.00', '#PSALDO 0 202501 1510 {1 "A"} 100.00',
    '#PSALDO 0 202501 3001 {1 "A"} -100.00', '#PSALDO 0 202501 3001 {1 "A" 6 "P"} -100.00',
    '#PSALDO 0 202501 3001 {1 "A" 6 "P" 7 "E1"} -100.00', '#PSALDO 0 202501 1510 {} 100.00',
    '#PSALDO 0 202501 3001 {} -100.00', '#PBUDGET 0 202502 3001 {6 "P" 1 "A"} -500.00',
    '#VER A 1 20250110 "Försäljning"', "{", '#TRANS 1510 {1 "A" 6 "P"} 100.00', '#TRANS 3001 {7 "E1" 6 "P" 1 "A"} -100.00',
    "}",
]


def test_balance_lines_with_several_objects_in_one_list_come_back(engine, tmp_path):
    summary, theirs, ours = round_trip(engine, tmp_path, SEVERAL_OBJECTS)
    for written in ours:
        assert_gives_back_every_record(written, theirs)
        assert written.object_closing[(-1, "1510", (("6", "P"), ("1", "A")))] == 4000, "the list in the file's order"
    findings = {finding.check: finding for finding in summary.findings}
    assert "period_balances" not in findings, "a list's #PSALDO is what the rows carrying all its objects give"
    assert "undeclared" not in findings, "a list's objects are each declared"


def test_a_list_of_several_objects_whose_period_change_is_off_is_named_in_the_finding(engine, tmp_path):
    lines = [line.replace('202501 1510 {1 "A" 6 "P"} 100.00', '202501 1510 {1 "A" 6 "P"} 90.00')
             for line in SEVERAL_OBJECTS]
    summary, _, _ = round_trip(engine, tmp_path, lines)
    finding = {finding.check: finding for finding in summary.findings}["period_balances"]
    assert finding.details == ['account 1510 objects {1 "A" 6 "P"}, period 2025-01: the source\'s #PSALDO states a '
                               "change of 90.00 kr, its vouchers give 100.00 kr: off by -10.00 kr"]


def test_balances_per_object_of_every_dimension_are_built_from_the_vouchers(engine, tmp_path):
    """A file that states no #OIB #OUB #PSALDO gets them from its vouchers, for every dimension alike."""
    summary, theirs, ours = round_trip(engine, tmp_path, [
        '#VER A 1 20250110 "Jan"', "{", '#TRANS 1510 {7 "E1"} 100.00', '#TRANS 3001 {20 "X" 1 "A"} -100.00', "}",
        '#VER A 2 20250215 "Feb"', "{", '#TRANS 1510 {7 "E1" 6 "P"} 30.00', '#TRANS 3001 {7 "E1"} -30.00',
        '#BTRANS 1510 {7 "E1"} 999.00', "}",
    ])
    rows = [(v.date, t) for v in theirs.vouchers for t in v.counted()]
    expected_changes: dict[tuple, int] = {}
    for day, row in rows:
        for pair in row.pairs:
            key = (0, f"{day:%Y%m}", row.account, (pair,))
            expected_changes[key] = expected_changes.get(key, 0) + row.amount_ore
    expected_closing = {}
    for (_, _, account, objects), ore in expected_changes.items():
        if is_balance_account(theirs, account):
            expected_closing[(0, account, objects)] = expected_closing.get((0, account, objects), 0) + ore
    for written in ours:
        assert vouchers(written) == vouchers(theirs)
        assert {key: ore for key, ore in written.period_balances.items() if key[3]} == expected_changes
        assert written.object_closing == expected_closing
        assert expected_closing[(0, "1510", (("7", "E1"),))] == 13000, "the removed row does not count"
    as_of_january = read_sie(write_sie4(engine, CLIENT.key, summary.financial_year_id, tmp_path / "jan.se",
                                        as_of=dt.date(2025, 1, 31)).path)
    assert as_of_january.object_closing == {(0, "1510", (("7", "E1"),)): 10000}


def test_a_row_date_that_is_no_date_is_refused_with_its_line(engine, tmp_path):
    with pytest.raises(SieImportRefused, match=rf"line {len(HEAD) + 3}: '20251340' is not a date"):
        round_trip(engine, tmp_path, ['#VER A 1 20250110 "Jan"', "{", '#TRANS 1510 {} 1 20251340 "x"',
                                      "#TRANS 3001 {} -1", "}"])


def test_reading_a_file_whole_gives_what_the_corpus_comparison_sees(tmp_path):
    """The comparison of the corpus test sees each of these: a voucher's and a row's sign, a row's date."""
    path = tmp_path / "one.se"
    path.write_bytes("\r\n".join([*HEAD, '#VER A 1 20250110 "Jan" 20250111 S', "{",
                                  '#TRANS 1510 {} 1 20250109 "" "" T', "#TRANS 3001 {} -1", "}"]).encode("cp437"))
    sie: SieFile = read_sie(path)
    changed = [path.read_bytes().replace(old, new) for old, new in (
        (b"20250111 S", b"20250111 Z"), (b'"" "" T', b'"" "" Z'), (b"20250109", b"20250108"))]
    for data in changed:
        path.write_bytes(data)
        assert vouchers(read_sie(path)) != vouchers(sie)
