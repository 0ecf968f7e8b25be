"""The streaming SIE path: SieStream and stage_sie_year stage exactly what the in-memory path did,
report bad lines and damaged files, and read a year without memory growing with it."""
from __future__ import annotations

import dataclasses
import random
import tracemalloc
from decimal import Decimal

import pytest
from sqlalchemy import text

from fortnox_etl.sandbox.generator import generate_company
from fortnox_etl.sandbox.sie_export import sie_file
from fortnox_etl.sie import reader
from fortnox_etl.sie.reader import SieFile, SieStream, SieSyntaxError, parse_sie
from fortnox_etl.sie.staging import chart_rows, file_accounts, stage_sie_year
from fortnox_etl.staging.database import run_sql, sql
from fortnox_etl.staging.database import create_schema, create_staging_engine, staging_url
from sandbox_helpers import ACME, NORRSKEN

RAW_TABLES = {  # table: its key columns after client_key, to compare row for row
    "raw_accounts": "financial_year_id, account",
    "raw_vouchers": "financial_year_id, voucher_series, voucher_number",
    "raw_voucher_rows": "financial_year_id, voucher_series, voucher_number, row_no",
    "raw_sie_header": "financial_year_id, position",
    "raw_sie_balances": "financial_year_id, year_index, balance_type, period, account, dimension_no, object_id",
    "raw_sie_dimensions": "financial_year_id, dimension_no",
    "raw_sie_objects": "financial_year_id, dimension_no, object_id",
}
LOAD = {"load_id": "00000000-0000-0000-0000-000000000001", "loaded_at": "2026-11-24T00:00:00+00:00"}


@pytest.fixture(scope="module", params=["S", "M", "broken-year"])
def company(request):
    spec = NORRSKEN if request.param == "broken-year" else dataclasses.replace(ACME, size=request.param)
    return generate_company(spec)


def test_the_streaming_loader_stages_what_the_in_memory_path_did(staging, company, tmp_path):
    year = company.financial_years[-1]
    data = sie_file(company, year["Id"])
    path = tmp_path / "year.se"
    path.write_bytes(data)
    sie = parse_sie(data)
    heads = {(v.series, int(v.number)): {"ReferenceNumber": f"R{v.number}", "ReferenceType": "MANUAL",
                                         "Comments": "checked"} for v in sie.vouchers[::7]}
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)

    with engine.begin() as connection:
        before = {"client_key": "before", "financial_year_id": year["Id"], **LOAD}
        run_sql(connection, "load/delete_raw_year", client_key="before", financial_year_id=year["Id"])
        for statement, rows in {"insert_raw_accounts": file_accounts(before, sie),
                                **rows_as_before(before, sie, heads)}.items():
            if rows:
                connection.execute(text(sql(f"load/{statement}")), rows)
        stream = SieStream(path)
        staged = stage_sie_year(connection, {**before, "client_key": "streamed"}, stream.sie, stream, heads)

    assert staged.vouchers == len(sie.vouchers) and staged.accounts == len(sie.accounts)
    assert staged.voucher_rows == sum(len(v.transactions) for v in sie.vouchers)
    assert staged.staged == {(v.series, int(v.number)) for v in sie.vouchers}
    with engine.connect() as connection:
        for table, key in RAW_TABLES.items():
            staged_rows = [raw_rows(connection, table, key, client) for client in ("before", "streamed")]
            assert staged_rows[0] == staged_rows[1], table
            assert staged_rows[0] or table in ("raw_sie_dimensions", "raw_sie_objects"), f"{table} is empty"


# Vouchers read whole by pattern and vouchers read line by line, in one file: tabs and escapes in texts,
# #RTRANS with its #TRANS copy, #BTRANS, no rows, leading white space, a blank line, rows' own dates and signs.
MIXED_VOUCHERS = [
    '#VER A 1 20250110 "Kund\tbetalar" 20250111', "{", '#TRANS 1930 {1 "100"} 125.5 "" "Kund \t betalar" 1.5',
    "#TRANS 3001 {} -125.50", "}",
    '#VER "B" 2 20250112 "Back\\\\slash \\"quoted\\""', "{", '#RTRANS 1930 {} 10 "" "added"',
    '#TRANS 1930 {} 10 "" "added"', '#TRANS 3001 {6 "P 1"} -10', "}",
    "#VER C 3 20250113", "{", "}",
    '  #VER C 4 20250114 ""', "{", "\t#TRANS 1930 {} 1", "#BTRANS 3001 {} -1", "", "#TRANS 3001 {} -1", "}",
    '#VER C 5 20250115 "Åter"', "{", '#TRANS 1930 {1 "100" 6 "P 1"} -2.05 20250115 "Å" "" 1', "#TRANS 3001 {} 2.05", "}",
    '#VER D 6 20250116 "Signerad" 20250117 "Eva E"', "{", '#TRANS 1930 {} 3 20250114 "" 1 "Eva E"',
    '#TRANS 3001 {} -3 "20250116" "x" "" KOH', "}",
]


def test_vouchers_read_whole_and_line_by_line_stage_alike(staging, tmp_path):
    data = "\r\n".join(["#FLAGGA 0", "#SIETYP 4", "#RAR 0 20250101 20251231", '#KONTO 1930 "Bank"',
                         '#KONTO 3001 "Försäljning"', *MIXED_VOUCHERS, ""]).encode("cp437")
    path = tmp_path / "mixed.se"
    path.write_bytes(data)
    sie = parse_sie(data)
    assert [len(v.transactions) for v in sie.vouchers] == [2, 2, 0, 3, 2, 2]
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    with engine.begin() as connection:
        before = {"client_key": "before", "financial_year_id": 2, **LOAD}
        for statement, rows in rows_as_before(before, sie, {}).items():
            if rows:
                connection.execute(text(sql(f"load/{statement}")), rows)
        stream = SieStream(path)
        staged = stage_sie_year(connection, {**before, "client_key": "streamed"}, stream.sie, stream)
    assert (staged.vouchers, staged.voucher_rows) == (6, 11)
    with engine.connect() as connection:
        for table in ("raw_vouchers", "raw_voucher_rows"):
            key = RAW_TABLES[table]
            assert raw_rows(connection, table, key, "before") == raw_rows(connection, table, key, "streamed"), table
        texts = connection.execute(text("SELECT description FROM raw_vouchers WHERE client_key = 'streamed' "
                                        "ORDER BY voucher_series, voucher_number")).scalars().all()
    assert texts[:2] == ["Kund\tbetalar", 'Back\\slash "quoted"']


def test_vouchers_read_whole_give_what_reading_line_by_line_gives(monkeypatch):
    """Random damage to a file's lines: the reader reads each voucher whole when it can, and the result,
    or the error with its line number, is the one of reading every line by itself."""
    def read(data: bytes):
        try:
            stream = SieStream(data)
            return [(v.series, v.number, v.date, v.text, v.registered, v.sign, v.line_no,
                     [dataclasses.astuple(t) for t in v.transactions]) for v in stream], stream.sie.accounts
        except SieSyntaxError as error:
            return error.line_no, error.reason

    randomly = random.Random(5)
    clean = synthetic_year(20).decode("cp437").split("\r\n") + MIXED_VOUCHERS
    inserted = [" ", "\t", '"', "\\", "{", "}", "\xa0", "\v", "x", "#", "-", ".", ",", "\r", "\n", "0", "Å", '""']
    for _ in range(500):
        lines = list(clean)
        for _ in range(randomly.randint(1, 3)):
            number = randomly.randrange(len(lines))
            line, position = lines[number], randomly.randint(0, len(lines[number]))
            lines[number] = (line[:position] + randomly.choice(inserted) + line[position:] if randomly.random() < 0.7
                             else line[:position] + line[position + 1:])
        data = "\r\n".join(lines).encode("cp437", errors="replace")
        whole = read(data)
        with monkeypatch.context() as patched:
            patched.setattr(reader, "_next_head", lambda text, position: -1)  # no voucher is read whole
            assert whole == read(data), [line for line in lines if line not in clean]


def test_restaging_replaces_the_partition(staging, tmp_path):
    company = generate_company(ACME)
    year = company.financial_years[-1]
    path = tmp_path / "year.se"
    path.write_bytes(sie_file(company, year["Id"]))
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)
    partition = {"client_key": "acme", "financial_year_id": year["Id"], **LOAD}
    for _ in range(2):
        with engine.begin() as connection:
            stream = SieStream(path)
            staged = stage_sie_year(connection, partition, stream.sie, stream)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM raw_voucher_rows")).scalar() == staged.voucher_rows


@pytest.mark.parametrize("line, reason", [
    ("#TRANS 1930 {1} 250.00", "an object list must hold dimension and object pairs"),  # the fast path's check
    ("#TRANS 1930 {} 250.005", "more than two decimals"),
    ('#TRANS 1930 {} 250 "" "unclosed', "a quoted field is not closed"),
    ("1930 {} 250", "expected a #LABEL"),
    ("x#TRANS 1930 {} 250", "expected a #LABEL"),  # a row's pattern found inside a line is not a row
])
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_staged(staging, tmp_path, line, reason):
    lines = sie_file(generate_company(ACME), 2).decode("cp437").split("\r\n")
    bad_line_no = max(number for number, text in enumerate(lines, start=1) if text.startswith("#TRANS"))
    lines[bad_line_no - 1] = line
    path = tmp_path / "bad.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))
    engine = create_staging_engine(staging_url(staging))
    create_schema(engine)

    with pytest.raises(SieSyntaxError, match=reason) as error, engine.begin() as connection:
        stream = SieStream(path)
        stage_sie_year(connection, {"client_key": "acme", "financial_year_id": 2, **LOAD}, stream.sie, stream)
    assert error.value.line_no == bad_line_no
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM raw_vouchers")).scalar() == 0


def test_a_control_sum_mismatch_is_caught_at_the_closing_ksumma(tmp_path):
    lines = sie_file(generate_company(ACME), 2).decode("cp437").rstrip("\r\n").split("\r\n")
    lines = lines[:1] + ["#KSUMMA"] + lines[1:] + ["#KSUMMA 12345"]
    path = tmp_path / "checked.se"
    path.write_bytes("\r\n".join(lines).encode("cp437"))
    stream = SieStream(path)
    with pytest.raises(SieSyntaxError, match="does not match the file's content") as error:
        for _ in stream:
            pass
    assert error.value.line_no == len(lines)

    right = int(error.value.reason.split("(")[1].split(")")[0])
    path.write_bytes("\r\n".join(lines[:-1] + [f"#KSUMMA {right}"]).encode("cp437"))
    stream = SieStream(path)
    assert sum(1 for _ in stream) > 0 and stream.sie.checksum == right


def test_memory_does_not_grow_with_the_year(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "_CHUNK_BYTES", 1 << 16)  # many chunks in both files, as in a real year
    peaks = []
    for vouchers in (10_000, 40_000):
        path = tmp_path / f"{vouchers}.se"
        path.write_bytes(synthetic_year(vouchers))
        tracemalloc.start()
        stream = SieStream(path)
        rows = sum(len(voucher.transactions) for voucher in stream)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert rows == 3 * vouchers
    assert peaks[1] < 1.2 * peaks[0], f"peak {peaks[0]:,} bytes for 10,000 vouchers, {peaks[1]:,} for 40,000"


def synthetic_year(vouchers: int) -> bytes:
    lines = ["#FLAGGA 0", "#SIETYP 4", "#RAR 0 20250101 20251231", '#KONTO 1930 "Bank"', '#KONTO 3001 "Försäljning"',
             '#KONTO 2611 "Moms"']
    for number in range(1, vouchers + 1):
        day = f"2025{number % 12 + 1:02d}{number % 28 + 1:02d}"
        lines += [f'#VER A {number} {day} "Försäljning {number}" {day}', "{",
                  f'#TRANS 1930 {{}} 1250.00 "" "Kund {number}" 0', f'#TRANS 3001 {{1 "10"}} -1000 "" "" 0',
                  "#TRANS 2611 {} -250", "}"]
    return "\r\n".join(lines).encode("cp437")


def raw_rows(connection, table: str, key: str, client_key: str) -> list[tuple]:
    result = connection.execute(text(f"SELECT * FROM {table} WHERE client_key = :client_key ORDER BY {key}"),
                                {"client_key": client_key})
    kept = [index for index, column in enumerate(result.keys()) if column != "client_key"]
    return [tuple(row[index] for index in kept) for row in result]


def rows_as_before(partition: dict, sie: SieFile, heads: dict) -> dict[str, list[dict]]:
    """The voucher rows as the in-memory path built them before the streaming loader, kept as the reference."""
    vouchers, voucher_rows = [], []
    for voucher in sie.vouchers:
        number = int(voucher.number)
        head = heads.get((voucher.series, number), {})
        vouchers.append({
            **partition, "voucher_series": voucher.series, "voucher_number": number,
            "transaction_date": voucher.date.isoformat(),
            "registration_date": voucher.registered.isoformat() if voucher.registered else None,
            "description": voucher.text, "reference_number": head.get("ReferenceNumber"),
            "reference_type": head.get("ReferenceType"), "comments": head.get("Comments"), "signature": voucher.sign,
        })
        voucher_rows.extend({
            **partition, "voucher_series": voucher.series, "voucher_number": number, "row_no": row_no,
            "account": row.account, "debit_ore": max(row.amount_ore, 0), "credit_ore": max(-row.amount_ore, 0),
            "description": None, "transaction_information": row.text or None,
            "cost_center": row.object(1), "project": row.object(6),
            "quantity": str(Decimal(row.quantity.replace(",", "."))) if row.quantity else None,
            "removed": row.kind == "BTRANS", "added_after_registration": row.kind == "RTRANS",
            "row_date": row.date.isoformat() if row.date else None, "signature": row.sign,
        } for row_no, row in enumerate(voucher.transactions, start=1))
    return {"insert_raw_vouchers": vouchers, "insert_raw_voucher_rows": voucher_rows, **chart_rows(partition, sie)}
