"""Write a client's financial year from the SIE tables as a SIE 4 file (CP437, as Fortnox does)."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from fortnox_etl.sie.fields import amount, quote, sie_date
from fortnox_etl.staging.database import sql

PROGRAM_NAME = "fortnox-etl"
PROGRAM_VERSION = "0.1"


@dataclass(frozen=True)
class SieSummary:
    path: Path
    accounts: int
    vouchers: int
    transactions: int


class SieDataMissing(LookupError):
    """The SIE tables hold nothing for the requested client and year: sync it first."""


def write_sie4(engine: Engine, client_key: str, financial_year_id: int, path: Path,
               generated_on: dt.date | None = None) -> SieSummary:
    """Write the file next to its final name and rename it, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with engine.connect() as connection, open(partial, "w", encoding="cp437", errors="replace", newline="\r\n") as out:
        counts = _write(connection, out, client_key, financial_year_id, generated_on or dt.date.today())
    os.replace(partial, path)
    return SieSummary(path, *counts)


def _write(connection, out, client_key: str, financial_year_id: int, generated_on: dt.date) -> tuple[int, int, int]:
    def rows(name: str, **params):
        return connection.execute(text(sql(f"sie/{name}")), {"client_key": client_key, **params}).mappings()

    company = rows("select_company").first()
    years = list(rows("select_financial_years"))
    position = next((i for i, year in enumerate(years) if year["financial_year_id"] == financial_year_id), None)
    if company is None or position is None:
        raise SieDataMissing(f"client {client_key}: no SIE data for financial year {financial_year_id}; run the sync first")
    current = years[position]
    indexed_years = [(index, years[position + index]) for index in (0, -1) if position + index >= 0]

    out.write("#FLAGGA 0\n")
    out.write(f"#PROGRAM {quote(PROGRAM_NAME)} {PROGRAM_VERSION}\n")
    out.write("#FORMAT PC8\n")
    out.write(f"#GEN {sie_date(generated_on)}\n")
    out.write("#SIETYP 4\n")
    if company["fnr"]:
        out.write(f"#FNR {quote(company['fnr'])}\n")
    out.write(f"#ORGNR {company['orgnr']}\n")
    out.write(f"#FNAMN {quote(company['fnamn'])}\n")
    for index, year in indexed_years:
        out.write(f"#RAR {index} {sie_date(year['start_date'])} {sie_date(year['end_date'])}\n")
    if current["kptyp"]:
        out.write(f"#KPTYP {quote(current['kptyp'])}\n")

    accounts = 0
    for account in rows("select_accounts", financial_year_id=financial_year_id):
        out.write(f"#KONTO {account['account']} {quote(account['name'])}\n")
        out.write(f"#KTYP {account['account']} {account['account_type']}\n")
        accounts += 1

    for index, year in indexed_years:
        for balance in rows("select_balances", financial_year_id=year["financial_year_id"]):
            out.write(f"#{balance['balance_type']} {index} {balance['account']} {amount(balance['amount_ore'])}\n")

    vouchers = transactions = 0
    open_voucher = None
    stream = connection.execution_options(stream_results=True, yield_per=2000).execute(
        text(sql("sie/select_voucher_transactions")), {"client_key": client_key, "financial_year_id": financial_year_id}
    ).mappings()
    for row in stream:
        key = (row["series"], row["number"])
        if key != open_voucher:
            if open_voucher is not None:
                out.write("}\n")
            registered = f" {sie_date(row['registration_date'])}" if row["registration_date"] else ""
            out.write(f"#VER {quote(row['series'])} {row['number']} {sie_date(row['voucher_date'])} "
                      f"{quote(row['voucher_text'])}{registered}\n{{\n")
            open_voucher = key
            vouchers += 1
        if row["row_no"] is None:
            continue
        fields = f"{row['account']} {{}} {amount(row['amount_ore'])}"
        if row["trans_text"]:
            fields += f' "" {quote(row["trans_text"])}'
        out.write(f"#{row['record_type']} {fields}\n")
        if row["record_type"] == "RTRANS":
            out.write(f"#TRANS {fields}\n")  # the same row again, for readers that predate #RTRANS
        transactions += 1
    if open_voucher is not None:
        out.write("}\n")
    return accounts, vouchers, transactions
