"""The ledger appendices for the closing (`write_ledger_appendices`, the last of the ledger steps; see
`ledgers`): per ledger, its open items at the balance date with their reconciliation with the control
account, as XLSX and CSV files beside the SIE4 file.

CSV files are for Swedish Excel: UTF-8 with BOM, semicolons, decimal comma, dates YYYY-MM-DD.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.period import LedgersNotReady
from fortnox_etl.period_end.ledgers import LEDGERS, SUPPLIERS, LedgerKind, dated, frame_of

log = logging.getLogger(__name__)

AGEING_HEADINGS = {"not_due": "Ej förfallen", "1-30": "1–30 dagar", "31-60": "31–60 dagar",
                   "61-90": "61–90 dagar", "over_90": "Över 90 dagar"}
OPEN_ITEM_HEADINGS = {
    "invoice_number": "Fakturanr", "external_invoice_number": "Leverantörens fakturanr", "party_number": "{party}nr",
    "party_name": "{party}", "invoice_date": "Fakturadatum", "due_date": "Förfallodatum", "total_ore": "Fakturabelopp",
    "paid_by_period_end_ore": "Betalt t.o.m. {date}", "open_ore": "Öppet belopp {date}",
    "days_overdue": "Dagar efter förfallodag", "ageing_bucket": "Åldersintervall",
    "paid_after_period_end_ore": "Betalt efter {date}", "payments_after_period_end": "Betalningar efter {date}",
}
AMOUNT_COLUMNS = ("total_ore", "paid_by_period_end_ore", "open_ore", "paid_after_period_end_ore")
DIFFERENCE_HEADINGS = ("Fakturanr", "{party}", "Verifikationer", "Enligt reskontran", "Bokfört", "Differens", "Förklaring")


def write_ledger_appendices(ctx: ClientContext, period_end: dt.date) -> list[Path]:
    """Write each ledger's open items with its reconciliation as XLSX and CSV under out_dir/<client>/; replaces earlier files."""
    key = ctx.client.key
    folder = ctx.out_dir / key
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with ctx.engine.connect() as connection:
        for kind in LEDGERS:
            scope = {"client_key": key, "period_end": period_end.isoformat(), "ledger": kind.name}
            reconciliation = frame_of(connection, "ledgers/select_reconciliation", **scope)
            if not len(reconciliation):
                raise LedgersNotReady(f"client {key}: no {kind.name} ledger is built for {period_end}; "
                                      f"run the sync of the period ending {period_end} (its task sync_period) first")
            sheet = _appendix(kind, period_end, ctx.client.name,
                              dated(frame_of(connection, "ledgers/select_open_items", **scope),
                                    "invoice_date", "due_date", "last_payment_after_date"),
                              reconciliation.iloc[0], frame_of(connection, "ledgers/select_differences", **scope))
            base = folder / f"{key}_{kind.file_word}_{period_end.isoformat()}"
            written += [_replace(base.with_suffix(".xlsx"), _write_xlsx, kind, sheet),
                        _replace(base.with_suffix(".csv"), _write_csv, sheet)]
    log.info("client %s: ledger appendices for %s written: %s", key, period_end, ", ".join(str(p) for p in written))
    return written


@dataclass(frozen=True)
class _Appendix:
    title: list[str]
    headings: list[str]
    rows: list[list]  # open items and the total row; amounts as Decimal kronor, dates as dates
    reconciliation: list[list]  # label, amount
    differences: list[list]  # heading row first, when there are differences


def _appendix(kind: LedgerKind, period_end: dt.date, client_name: str, items: pd.DataFrame, reconciliation: pd.Series,
              differences: pd.DataFrame) -> _Appendix:
    columns = [c for c in OPEN_ITEM_HEADINGS if kind is SUPPLIERS or c != "external_invoice_number"]
    headings = [OPEN_ITEM_HEADINGS[c].format(party=kind.party_word, date=period_end) for c in columns]
    table = items[columns].astype(object)
    for column in AMOUNT_COLUMNS:
        table[column] = items[column].map(_kronor)
    table["ageing_bucket"] = items["ageing_bucket"].map(AGEING_HEADINGS)
    rows = [[None if pd.isna(value) else value for value in row] for row in table.itertuples(index=False)]
    total = ["Summa"] + [None] * (len(columns) - 1)
    for column in AMOUNT_COLUMNS:
        total[columns.index(column)] = _kronor(int(items[column].sum()))
    account = f"{kind.control_account} {kind.account_name}"
    recon = [
        [f"Avstämning mot konto {account} per {period_end}"],
        [f"Öppna poster enligt {kind.title.lower()}n ({int(reconciliation['open_items'])} st)",
         _kronor(int(reconciliation["ledger_open_ore"]))],
        [f"Saldo konto {account} enligt bokföringen" + (" (kreditsaldo, visat positivt)" if kind.sign < 0 else ""),
         _kronor(int(reconciliation["account_balance_ore"]))],
        ["Differens", _kronor(int(reconciliation["difference_ore"]))],
    ]
    unexplained = int(reconciliation["difference_ore"]) - int(reconciliation["explained_ore"])
    if unexplained:
        recon.append(["Varav oförklarat", _kronor(unexplained)])
    explained = []
    if len(differences):
        explained.append([heading.format(party=kind.party_word) for heading in DIFFERENCE_HEADINGS])
        explained += [[None if pd.isna(d.invoice_number) else int(d.invoice_number), d.party_name, d.vouchers,
                       _kronor(int(d.ledger_ore)), _kronor(int(d.booked_ore)), _kronor(int(d.difference_ore)),
                       d.explanation] for d in differences.itertuples()]
    title = [f"{kind.title} {client_name} per {period_end}"]
    return _Appendix(title, headings, rows + [total], recon, explained)


def _write_csv(path: Path, sheet: _Appendix) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(sheet.headings)
        writer.writerows([_csv_value(value) for value in row] for row in sheet.rows)
        writer.writerow([])
        writer.writerows([_csv_value(value) for value in row] for row in sheet.reconciliation)
        if sheet.differences:
            writer.writerow([])
            writer.writerow(["Förklaring av differensen"])
            writer.writerows([_csv_value(value) for value in row] for row in sheet.differences)


def _write_xlsx(path: Path, kind: LedgerKind, sheet: _Appendix) -> None:
    book = Workbook()
    items = book.active
    items.title = kind.title
    items.append(sheet.title)
    items["A1"].font = Font(bold=True, size=12)
    items.append([])
    items.append(sheet.headings)
    for row in sheet.rows:
        items.append(row)
    _style(items, header_row=3, last_row=items.max_row)
    items.freeze_panes = "A4"
    recon = book.create_sheet("Avstämning")
    for row in sheet.reconciliation:
        recon.append(row)
    recon["A1"].font = Font(bold=True, size=12)
    if sheet.differences:
        recon.append([])
        recon.append(["Förklaring av differensen"])
        recon.append(sheet.differences[0])
        header_row = recon.max_row
        for row in sheet.differences[1:]:
            recon.append(row)
        _style(recon, header_row=header_row, last_row=recon.max_row, total_row=False)
    _number_formats(recon)
    recon.column_dimensions["A"].width = 60
    book.save(path)


def _style(worksheet, header_row: int, last_row: int, total_row: bool = True) -> None:
    for cell in worksheet[header_row]:
        cell.font = Font(bold=True)
    if total_row:
        for cell in worksheet[last_row]:
            cell.font = Font(bold=True)
    _number_formats(worksheet)
    for column in worksheet.iter_cols(min_row=header_row, max_row=last_row):
        width = max(len(str(cell.value)) if cell.value is not None else 0 for cell in column)
        worksheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)


def _number_formats(worksheet) -> None:
    for row in worksheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"


def _replace(path: Path, write, *args) -> Path:
    """Write beside the file and rename over it, so a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.partial")
    write(partial, *args)
    os.replace(partial, path)
    return path


def _csv_value(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return "" if value is None else value


def _kronor(ore: int) -> Decimal:
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))
