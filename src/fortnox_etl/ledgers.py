"""Customer and supplier ledgers (kund- och leverantörsreskontra) at a balance date.

Three steps, each one Airflow task after the client's SIE tables are built:

- `extract_ledgers`: customers, suppliers, invoices and payments from Fortnox into raw_* tables.
- `build_ledgers`: the invoices open at the balance date, rebuilt from invoices and payments (an
  invoice dated on or before the date, less its payments dated on or before it; cancelled invoices
  owe nothing), aged by days past due, and reconciled with the control accounts 1510 and 2440.
- `write_ledger_appendices`: XLSX and CSV files per ledger for the closing, beside the SIE4 file.

Which invoices are fetched. "Open at the balance date" is not a Fortnox filter, and an invoice from
years ago can still be open, so the lists are cut where nothing open can be lost:
- every invoice dated from the start of the financial year holding the balance date up to that date
  (the reconciliation needs all of them: the year's vouchers on 1510/2440 are matched to them);
- older invoices only when they can be open at the balance date: those unpaid today (`filter=unpaid`)
  and those changed after the balance date (`lastmodified`: a payment after the date changes the
  invoice), both with `todate` the day before the year starts. /3/supplierinvoices takes none of
  these but `filter` and `lastmodified` (the OpenAPI file): its whole list is read and chosen from
  in the same way;
- payments changed since a month before the year's start (`lastmodified`; the payment endpoints take
  no dates), including those after the balance date; an invoice whose Fortnox balance is not
  explained by those payments had payments before, and its payments are then fetched
  (`invoicenumber=`, one request each, which is rare; suppliers: the whole payment list, once).
  Payment list entries carry no PaymentDate (Fortnox's documented list subset): each payment's date
  is that of its voucher in the staged year (referring to the invoice, for the payment's amount), or
  one an earlier extraction read, else its single record's, one request each.

Sign conventions: amounts are öre, positive for what is owed (to the client on 1510, by the client on
2440). 2440 has a credit balance; the reconciliation shows it positive so that it compares directly
with the supplier ledger, and difference = ledger - account balance.

CSV files are for Swedish Excel: UTF-8 with BOM, semicolons, decimal comma, dates YYYY-MM-DD.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Connection, text

from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.fortnox.errors import required
from fortnox_etl.load_stats import LoadStats
from fortnox_etl.period import LedgersNotReady
from fortnox_etl.staging.database import run_sql, sql
from fortnox_etl.sync import SyncContext

log = logging.getLogger(__name__)

# The Fortnox scopes the ledgers need beyond the bookkeeping ones; a client connected without them must reconnect.
LEDGER_SCOPES = ("customer", "invoice", "payment", "supplier", "supplierinvoice")
# Payments are fetched by when they changed, not by their date (the payment endpoints take no dates): from this
# long before the year starts, for a payment registered ahead of its date. One registered earlier still is found
# when its invoice's balance is not explained by the payments fetched.
PAYMENTS_REGISTERED_BEFORE = dt.timedelta(days=31)
AGEING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "over_90")
AGEING_HEADINGS = {"not_due": "Ej förfallen", "1-30": "1–30 dagar", "31-60": "31–60 dagar",
                   "61-90": "61–90 dagar", "over_90": "Över 90 dagar"}


@dataclass(frozen=True)
class LedgerKind:
    name: str  # 'customer' | 'supplier', the value of the tables' ledger column
    control_account: int
    account_name: str
    sign: int  # +1: the account's debit balance is what is owed; -1: its credit balance is
    invoice_reference: str  # Fortnox's voucher ReferenceType of the invoice's voucher
    payment_reference: str
    invoices_path: str
    invoices_collection: str
    number_field: str  # the invoice number that payments and vouchers refer to
    payments_path: str
    payments_collection: str
    file_word: str  # in the appendix's file name
    title: str
    party_word: str
    invoices_table: str  # the raw tables' names in the SQL file names
    payments_table: str
    parties_table: str

    @property
    def staged_account(self) -> str:
        """The control account as staging keeps account numbers: as text, as SIE files write them."""
        return str(self.control_account)


CUSTOMERS = LedgerKind(
    "customer", 1510, "Kundfordringar", 1, "INVOICE", "INVOICEPAYMENT", "/3/invoices", "Invoices", "DocumentNumber",
    "/3/invoicepayments", "InvoicePayments", "kundreskontra", "Kundreskontra", "Kund",
    "invoices", "invoice_payments", "customers",
)
SUPPLIERS = LedgerKind(
    "supplier", 2440, "Leverantörsskulder", -1, "SUPPLIERINVOICE", "SUPPLIERPAYMENT", "/3/supplierinvoices",
    "SupplierInvoices", "GivenNumber", "/3/supplierinvoicepayments", "SupplierInvoicePayments",
    "leverantorsreskontra", "Leverantörsreskontra", "Leverantör", "supplier_invoices", "supplier_invoice_payments",
    "suppliers",
)
LEDGERS = (CUSTOMERS, SUPPLIERS)


@dataclass(frozen=True)
class LedgerResult:
    ledger: str
    control_account: int
    open_items: int
    ledger_open_ore: int
    account_balance_ore: int
    difference_ore: int
    explained_ore: int

    @property
    def reconciles(self) -> bool:
        return self.difference_ore == 0


@dataclass(frozen=True)
class LedgerSummary:
    client_key: str
    period_end: dt.date
    customer: LedgerResult
    supplier: LedgerResult

    @property
    def reconciles(self) -> bool:
        return self.customer.reconciles and self.supplier.reconciles


# --- extraction ---

def extract_ledgers(ctx: SyncContext, period_end: dt.date) -> dict:
    """Load customers, suppliers, invoices and payments for the balance date, replacing the client's raw ledger tables."""
    key = ctx.client.key
    with ctx.engine.connect() as connection:
        year = _financial_year(connection, key, period_end)
    complete_from = year["from_date"]
    api = ctx.api()
    stats = LoadStats(api)
    parties = {
        CUSTOMERS: stats.fetch("customers", lambda: [_party(c, "CustomerNumber") for c in api.list("/3/customers", "Customers")]),
        SUPPLIERS: stats.fetch("suppliers", lambda: [_party(s, "SupplierNumber") for s in api.list("/3/suppliers", "Suppliers")]),
    }
    with ctx.engine.connect() as connection:
        known_dates = {kind: _KnownPaymentDates.read(connection, key, year["financial_year_id"], kind) for kind in LEDGERS}
    fetched = {kind: _fetch_ledger(api, stats, kind, period_end, complete_from, known_dates[kind]) for kind in LEDGERS}
    load = {"load_id": str(uuid.uuid4()), "loaded_at": _now()}
    counts = {
        "customers": len(parties[CUSTOMERS]), "suppliers": len(parties[SUPPLIERS]),
        "invoices": len(fetched[CUSTOMERS][0]), "invoice_payments": len(fetched[CUSTOMERS][1]),
        "supplier_invoices": len(fetched[SUPPLIERS][0]), "supplier_invoice_payments": len(fetched[SUPPLIERS][1]),
        "requests": api.requests_made,
    }
    with ctx.engine.begin() as connection:
        run_sql(connection, "ledgers/delete_raw_ledgers", client_key=key, period_end=period_end.isoformat())
        for kind in LEDGERS:
            invoices, payments = fetched[kind]
            for table, rows in ((kind.parties_table, parties[kind]), (kind.invoices_table, invoices),
                                (kind.payments_table, payments)):
                if rows:
                    connection.execute(text(sql(f"ledgers/insert_raw_{table}")),
                                       [{"client_key": key, "period_end": period_end.isoformat(), **load, **row}
                                        for row in rows])
        connection.execute(text(sql("ledgers/insert_raw_ledger_extract")), {
            "client_key": key, "period_end": period_end.isoformat(), "complete_from": complete_from.isoformat(),
            "requests": api.requests_made, **load,
        })
        stats.save(connection, load["load_id"], key, period_end=period_end)
    log.info("client %s: ledgers for %s loaded: %s customers, %s suppliers, %s customer invoices with %s payments, "
             "%s supplier invoices with %s payments (complete from %s; older ones only if possibly open); "
             "%s requests to Fortnox", key, period_end, *(f"{counts[name]:,}" for name in (
                 "customers", "suppliers", "invoices", "invoice_payments", "supplier_invoices",
                 "supplier_invoice_payments")), complete_from, f"{api.requests_made:,}")
    return counts


def _fetch_ledger(api: FortnoxApi, stats: LoadStats, kind: LedgerKind, period_end: dt.date,
                  complete_from: dt.date, known_dates: "_KnownPaymentDates") -> tuple[list[dict], list[dict]]:
    """One ledger's invoices and payments as raw rows (see the module's note on which are fetched)."""
    invoices = stats.fetch(f"{kind.name} invoices", lambda: {
        row["invoice_number"]: row for row in _fetch_invoices(api, kind, period_end, complete_from)})
    payments = stats.fetch(f"{kind.name} payments",
                           lambda: _fetch_payments(api, kind, invoices, complete_from, known_dates))
    return list(invoices.values()), list(payments.values())


def _fetch_invoices(api: FortnoxApi, kind: LedgerKind, period_end: dt.date, complete_from: dt.date) -> list[dict]:
    before = (complete_from - dt.timedelta(days=1)).isoformat()
    changed_after = f"{period_end + dt.timedelta(days=1)} 00:00"
    if kind is CUSTOMERS:  # /3/invoices takes fromdate, todate and filter (the OpenAPI file lists them)
        return [_invoice(record, kind) for record in (
            *api.list(kind.invoices_path, kind.invoices_collection, fromdate=complete_from.isoformat(),
                      todate=period_end.isoformat()),
            *api.list(kind.invoices_path, kind.invoices_collection, filter="unpaid", todate=before),
            *api.list(kind.invoices_path, kind.invoices_collection, lastmodified=changed_after, todate=before))]
    # /3/supplierinvoices takes no dates: every invoice, chosen here, and the numbers of those changed after the date.
    changed = {int(required(record, kind.number_field, f"GET {kind.invoices_path}"))
               for record in api.list(kind.invoices_path, kind.invoices_collection, lastmodified=changed_after)}
    return _chosen_supplier_invoices([_invoice(record, kind) for record in
                                      api.list(kind.invoices_path, kind.invoices_collection)],
                                     changed, complete_from, period_end)


def _chosen_supplier_invoices(invoices: list[dict], changed_after: set[int], complete_from: dt.date,
                              period_end: dt.date) -> list[dict]:
    """The year's invoices up to the date, and older ones unpaid today or changed after the date: what the
    customer ledger asks Fortnox for by fromdate, todate, filter=unpaid and lastmodified."""
    start, end = complete_from.isoformat(), period_end.isoformat()
    return [row for row in invoices if start <= row["invoice_date"] <= end or row["invoice_date"] < start and (
        (row["balance_ore"] and not row["cancelled"]) or row["invoice_number"] in changed_after)]


def _fetch_payments(api: FortnoxApi, kind: LedgerKind, invoices: dict[int, dict], complete_from: dt.date,
                    known_dates: "_KnownPaymentDates") -> dict:
    """Payments changed since shortly before the year (`lastmodified`: the payment endpoints take no dates), and
    every payment of an invoice whose balance those do not explain; each dated by `_date_payments`."""
    since = f"{complete_from - PAYMENTS_REGISTERED_BEFORE} 00:00"
    payments = {row["payment_number"]: row for row in (_payment(record, kind) for record in api.list(
        kind.payments_path, kind.payments_collection, lastmodified=since))}
    paid: dict[int, int] = {}
    for payment in payments.values():
        paid[payment["invoice_number"]] = paid.get(payment["invoice_number"], 0) + payment["amount_ore"]
    unexplained = [number for number, invoice in sorted(invoices.items())
                   if not invoice["cancelled"] and invoice["total_ore"] - invoice["balance_ore"] - paid.get(number, 0)]
    if kind is CUSTOMERS:  # /3/invoicepayments takes invoicenumber
        records = [record for number in unexplained
                   for record in api.list(kind.payments_path, kind.payments_collection, invoicenumber=number)]
    else:  # /3/supplierinvoicepayments takes no filter: the whole list, once
        wanted = set(unexplained)
        records = [record for record in (api.list(kind.payments_path, kind.payments_collection) if wanted else ())
                   if int(required(record, "InvoiceNumber", f"GET {kind.payments_path}")) in wanted]
    for record in records:
        payment = _payment(record, kind)
        payments[payment["payment_number"]] = payment
    return _date_payments(api, kind, payments, invoices, known_dates)


def _party(record: dict, number_field: str) -> dict:
    return {"party_number": str(record[number_field]), "name": record.get("Name") or "",
            "organisation_number": record.get("OrganisationNumber") or None, "city": record.get("City") or None}


def _invoice(record: dict, kind: LedgerKind) -> dict:
    """A customer or supplier invoice from a Fortnox list, amounts in SEK öre."""
    rate = Decimal(str(record.get("CurrencyRate") or 1)) / Decimal(str(record.get("CurrencyUnit") or 1))
    voucher = {"Series": record.get("VoucherSeries"), "Number": record.get("VoucherNumber"),
               "Year": record.get("VoucherYear")}
    if kind is SUPPLIERS:
        # A supplier invoice names its vouchers in a list: the invoice's own and its payments'.
        voucher = next((v for v in record.get("Vouchers") or [] if v.get("ReferenceType") == kind.invoice_reference), {})
    return {
        "invoice_number": int(required(record, kind.number_field, f"GET {kind.invoices_path}")),
        "external_invoice_number": (record.get("InvoiceNumber") or None) if kind is SUPPLIERS else None,
        "party_number": _text_or_none(record.get("CustomerNumber", record.get("SupplierNumber"))),
        "party_name": _text_or_none(record.get("CustomerName", record.get("SupplierName"))),
        "invoice_date": required(record, "InvoiceDate", f"GET {kind.invoices_path}"),
        "due_date": record.get("DueDate") or None,
        "currency": record.get("Currency") or None,
        "total_ore": _ore(record.get("Total"), rate),
        "balance_ore": _ore(record.get("Balance"), rate),
        "booked": _bool(record.get("Booked")),
        # The supplier invoice list says Cancel where the single record says Cancelled.
        "cancelled": _bool(record.get("Cancelled", record.get("Cancel"))),
        "voucher_series": _text_or_none(voucher.get("Series")),
        "voucher_number": _int_or_none(voucher.get("Number")),
        "voucher_year": _int_or_none(voucher.get("Year")),
    }


def _payment(record: dict, kind: LedgerKind) -> dict:
    """A payment from a Fortnox list. Its date is None when the entry lacks it, as Fortnox's documented list
    subset does: `_date_payments` then reads it from the single payment."""
    return {
        "payment_number": int(required(record, "Number", f"GET {kind.payments_path}")),
        "invoice_number": int(required(record, "InvoiceNumber", f"GET {kind.payments_path}")),
        "payment_date": record.get("PaymentDate") or None, "amount_ore": _ore(record.get("Amount")),
        "currency": record.get("Currency") or None, "booked": _bool(record.get("Booked")),
    }


class _KnownPaymentDates:
    """Dates of booked payments known without asking Fortnox: read by an earlier extraction of the client, or the
    date of the payment's own voucher in the staged year (on the control account, referring to the invoice with
    the payment's ReferenceType, for the payment's amount; several alike are taken in date order)."""

    def __init__(self, remembered: dict[int, str], by_voucher: dict[tuple[int, int], list[str]]):
        self.remembered, self.by_voucher = remembered, by_voucher

    @classmethod
    def read(cls, connection: Connection, client_key: str, financial_year_id: int, kind: LedgerKind):
        remembered = {int(row.payment_number): str(row.payment_date)[:10] for row in connection.execute(
            text(sql(f"ledgers/select_{kind.name}_payment_dates")), {"client_key": client_key, "booked": True})}
        vouchers = _frame(connection, "ledgers/select_control_account_vouchers", client_key=client_key,
                          financial_year_id=financial_year_id, account=kind.staged_account)
        by_voucher: dict[tuple[int, int], list[str]] = {}
        for voucher in vouchers.sort_values(["voucher_date", "series", "number"]).itertuples():
            reference = str(voucher.reference_number or "")
            if voucher.reference_type == kind.payment_reference and reference.isdigit():
                paid_ore = -kind.sign * int(voucher.amount_ore)
                by_voucher.setdefault((int(reference), paid_ore), []).append(str(voucher.voucher_date)[:10])
        return cls(remembered, by_voucher)

    def by_its_voucher(self, payment: dict) -> str | None:
        dates = self.by_voucher.get((payment["invoice_number"], payment["amount_ore"])) if payment["booked"] else None
        return dates.pop(0) if dates else None

    def read_before(self, payment: dict) -> str | None:
        return self.remembered.get(payment["payment_number"]) if payment["booked"] else None


def _date_payments(api: FortnoxApi, kind: LedgerKind, payments: dict[int, dict], invoices: dict[int, dict],
                   known_dates: _KnownPaymentDates) -> dict[int, dict]:
    """Each payment without a date gets one known without asking (`_KnownPaymentDates`), else the one of its
    single record (one request each, rate-limited). A booked payment without a voucher in the staged year, of
    an invoice neither of the year nor possibly open, is not in the year: it matters to nothing and is left out."""
    single = kind.payments_collection[:-1]  # InvoicePayments -> InvoicePayment
    dated = {}
    for number, payment in sorted(payments.items()):
        if payment["payment_date"] is None:
            payment["payment_date"] = known_dates.by_its_voucher(payment)
        if payment["payment_date"] is None:
            if payment["booked"] and payment["invoice_number"] not in invoices:
                continue
            payment["payment_date"] = known_dates.read_before(payment)
        if payment["payment_date"] is None:
            what = f"GET {kind.payments_path}/{number}"
            payment["payment_date"] = str(required(api.get(f"{kind.payments_path}/{number}").get(single),
                                                   "PaymentDate", what))[:10]
        dated[number] = payment
    return dated


# --- open items and reconciliation ---

def build_ledgers(ctx: SyncContext, period_end: dt.date) -> LedgerSummary:
    """Open items at the balance date, aged and reconciled with 1510 and 2440; stored in the ledger_* tables."""
    key = ctx.client.key
    with ctx.engine.connect() as connection:
        extract = _frame(connection, "ledgers/select_ledger_extract", client_key=key, period_end=period_end.isoformat())
        if not len(extract):
            raise LedgersNotReady(f"client {key}: no ledgers are staged for {period_end}; run extract_from_fortnox "
                                  f"for {period_end} first")
        year = _financial_year(connection, key, period_end)
        built = []
        for kind in LEDGERS:
            partition = {"client_key": key, "period_end": period_end.isoformat()}
            invoices = _dated(_frame(connection, f"ledgers/select_{kind.name}_invoices", **partition),
                              "invoice_date", "due_date")
            payments = _dated(_frame(connection, f"ledgers/select_{kind.name}_payments", **partition), "payment_date")
            vouchers = _dated(_frame(connection, "ledgers/select_control_account_vouchers", client_key=key,
                                     financial_year_id=year["financial_year_id"], account=kind.staged_account),
                              "voucher_date")
            opening = int(connection.execute(text(sql("ledgers/select_opening_balance")), {
                "client_key": key, "financial_year_id": year["financial_year_id"], "account": kind.staged_account,
            }).scalar_one())
            items = open_items(invoices, payments, period_end)
            differences = explain_difference(kind, invoices, payments, vouchers, opening, year["from_date"], period_end,
                                             int(items["open_ore"].sum()))
            built.append((kind, items, differences, _result(kind, items, vouchers, opening, period_end, differences)))

    with ctx.engine.begin() as connection:
        run_sql(connection, "ledgers/delete_ledger_results", client_key=key, period_end=period_end.isoformat())
        for kind, items, differences, result in built:
            scope = {"client_key": key, "period_end": period_end.isoformat(), "ledger": kind.name}
            if len(items):
                connection.execute(text(sql("ledgers/insert_open_item")), [{**scope, **row} for row in _rows(items)])
            if len(differences):
                connection.execute(text(sql("ledgers/insert_difference")), [
                    {**scope, "line_no": line_no, **row} for line_no, row in enumerate(_rows(differences), start=1)])
            connection.execute(text(sql("ledgers/insert_reconciliation")), {
                **scope, "control_account": result.control_account, "open_items": result.open_items,
                "ledger_open_ore": result.ledger_open_ore, "account_balance_ore": result.account_balance_ore,
                "difference_ore": result.difference_ore, "explained_ore": result.explained_ore, "built_at": _now(),
            })
    for kind, _, differences, result in built:
        _log_result(key, period_end, kind, result, differences)
    return LedgerSummary(key, period_end, built[0][3], built[1][3])


def open_items(invoices: pd.DataFrame, payments: pd.DataFrame, period_end: dt.date) -> pd.DataFrame:
    """The invoices open at `period_end`: dated on or before it, not cancelled, less payments dated on or before it.

    An invoice without a due date is taken as due on its invoice date.
    """
    live = invoices[~invoices["cancelled"].astype(bool) & (invoices["invoice_date"] <= period_end)].copy()
    after = payments[payments["payment_date"] > period_end].sort_values(["payment_date", "payment_number"])
    paid_by = payments[payments["payment_date"] <= period_end].groupby("invoice_number")["amount_ore"].sum()
    live["paid_by_period_end_ore"] = live["invoice_number"].map(paid_by).fillna(0).astype("int64")
    live["open_ore"] = live["total_ore"].astype("int64") - live["paid_by_period_end_ore"]
    items = live[live["open_ore"] != 0].copy()
    later = after.groupby("invoice_number")
    items["paid_after_period_end_ore"] = items["invoice_number"].map(later["amount_ore"].sum()).fillna(0).astype("int64")
    items["last_payment_after_date"] = items["invoice_number"].map(later["payment_date"].max())
    listing = later.apply(lambda group: "; ".join(
        f"{day} {_kronor_text(amount)}" for day, amount in zip(group["payment_date"], group["amount_ore"], strict=True)),
        include_groups=False)
    items["payments_after_period_end"] = items["invoice_number"].map(listing) if len(listing) else None
    due = items["due_date"].where(items["due_date"].notna(), items["invoice_date"])
    items["days_overdue"] = [(period_end - day).days for day in due]
    items["ageing_bucket"] = items["days_overdue"].map(ageing_bucket)
    columns = ["invoice_number", "external_invoice_number", "party_number", "party_name", "invoice_date", "due_date",
               "total_ore", "paid_by_period_end_ore", "open_ore", "paid_after_period_end_ore", "last_payment_after_date",
               "payments_after_period_end", "days_overdue", "ageing_bucket"]
    return items.sort_values("invoice_number")[columns].reset_index(drop=True)


def ageing_bucket(days_overdue: int) -> str:
    """Days past due at the balance date (balance date - due date) as one of AGEING_BUCKETS."""
    if days_overdue <= 0:
        return "not_due"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "over_90"


def explain_difference(kind: LedgerKind, invoices: pd.DataFrame, payments: pd.DataFrame, vouchers: pd.DataFrame,
                       opening_ore: int, year_start: dt.date, period_end: dt.date, ledger_open_ore: int) -> pd.DataFrame:
    """Why the ledger and the control account differ, as lines whose difference_ore add up to the difference.

    The year's movement on the control account is split by the invoice each voucher refers to
    (ReferenceType and ReferenceNumber) and compared, invoice by invoice, with what the ledger says
    moved in the year: the invoice's total if dated in the year, less its payments dated in the year.
    What the ledger held when the year began is the rest of its open amount, compared with the
    opening balance. Vouchers on the account that refer to no invoice are lines of their own.
    """
    in_year = vouchers[vouchers["voucher_date"] <= period_end]
    booked = in_year.assign(booked_ore=kind.sign * in_year["amount_ore"].astype("int64"),
                            invoice_number=_reference_numbers(in_year), part=_parts(kind, in_year))
    linked = booked[booked["part"].notna() & booked["invoice_number"].notna()]
    unlinked = booked.drop(linked.index)
    live = ~invoices["cancelled"].astype(bool)
    # Payments of a cancelled invoice, or of a booked invoice the ledger lacks, cannot reduce the ledger.
    missing = set(linked.loc[linked["part"] == "invoice", "invoice_number"]) - set(invoices["invoice_number"])
    ignored = set(invoices.loc[~live, "invoice_number"]) | missing
    dated_in_year = invoices[live & (invoices["invoice_date"] >= year_start) & (invoices["invoice_date"] <= period_end)]
    paid_in_year = payments[(payments["payment_date"] >= year_start) & (payments["payment_date"] <= period_end)
                            & ~payments["invoice_number"].isin(ignored)]
    expected = pd.concat([
        pd.DataFrame({"invoice_number": dated_in_year["invoice_number"], "part": "invoice",
                      "ledger_ore": dated_in_year["total_ore"].astype("int64")}),
        pd.DataFrame({"invoice_number": paid_in_year["invoice_number"], "part": "payment",
                      "ledger_ore": -paid_in_year["amount_ore"].astype("int64")}),
    ]).groupby(["invoice_number", "part"])["ledger_ore"].sum()
    actual = linked.groupby([linked["invoice_number"].astype("int64"), "part"])["booked_ore"].sum()
    compared = pd.concat([expected, actual], axis=1).reindex(columns=["ledger_ore", "booked_ore"]).fillna(0).astype("int64")
    compared["difference_ore"] = compared["ledger_ore"] - compared["booked_ore"]
    implied_opening = ledger_open_ore - int(compared["ledger_ore"].sum())

    lines = []
    if implied_opening != kind.sign * opening_ore:
        lines.append(_line("opening_balance", None, None, None, implied_opening, kind.sign * opening_ore,
                           f"Reskontran vid årets början ({year_start}, härledd) {_kronor_text(implied_opening)} kr, "
                           f"ingående balans konto {kind.control_account} {_kronor_text(kind.sign * opening_ore)} kr"))
    invoice_of = invoices.set_index("invoice_number")
    later = vouchers[vouchers["voucher_date"] > period_end]
    later = later.assign(invoice_number=_reference_numbers(later), part=_parts(kind, later))
    per_invoice = compared.groupby(level=0)["difference_ore"].sum()
    differing = compared[compared.index.get_level_values(0).isin(per_invoice[per_invoice != 0].index)]
    for number, parts in differing.groupby(level=0):
        parts = parts.droplevel(0)
        invoice = invoice_of.loc[number] if number in invoice_of.index else None
        own = linked[linked["invoice_number"] == number]
        booked_later = later[later["invoice_number"] == number]
        findings = [_explain(kind, part, number, invoice, row, own[own["part"] == part],
                             booked_later[booked_later["part"] == part], paid_in_year, period_end)
                    for part, row in parts.iterrows() if row["difference_ore"]]
        lines.append(_line(findings[0][0], int(number), None if invoice is None else invoice["party_name"],
                           _voucher_list(pd.concat([own, booked_later])), int(parts["ledger_ore"].sum()),
                           int(parts["booked_ore"].sum()), "; ".join(text for _, text in findings)))
    for _, voucher in unlinked[unlinked["booked_ore"] != 0].sort_values(["voucher_date", "series", "number"]).iterrows():
        lines.append(_line("voucher_without_invoice", None, None, _voucher_list(voucher.to_frame().T), 0,
                           int(voucher["booked_ore"]),
                           f"Verifikation {voucher['series']} {voucher['number']} {voucher['voucher_date']} "
                           f"({voucher['voucher_text'] or 'utan text'}) bokför {_kronor_text(int(voucher['booked_ore']))} kr "
                           f"på {kind.control_account} utan hänvisning till någon faktura"))
    columns = ["kind", "invoice_number", "party_name", "vouchers", "ledger_ore", "booked_ore", "difference_ore",
               "explanation"]
    return pd.DataFrame(lines, columns=columns)


def _explain(kind: LedgerKind, part: str, number: int, invoice, row: pd.Series, own: pd.DataFrame,
             booked_later: pd.DataFrame, paid_in_year: pd.DataFrame, period_end: dt.date) -> tuple[str, str]:
    """The kind of one part (the invoice, or its payments) of an invoice's difference, and its explanation."""
    account = kind.control_account
    later = f"; bokförd senare i {_voucher_list(booked_later)}" if len(booked_later) else ""
    if part == "payment":
        paid = paid_in_year[paid_in_year["invoice_number"] == number]
        dates = ", ".join(str(day) for day in sorted(set(paid["payment_date"])))
        if row["booked_ore"] == 0:
            return "payment_not_booked", (f"Betalning av faktura {number} ({dates}, {_kronor_text(-row['ledger_ore'])} kr) "
                                          f"är inte bokförd på {account} t.o.m. {period_end}{later}")
        if row["ledger_ore"] == 0:
            return "payment_missing_from_ledger", (
                f"{_voucher_list(own)} bokför betalning av faktura {number} på {account}, men reskontran har ingen "
                f"betalning av den under året t.o.m. {period_end}")
        return "payment_amount_differs", (f"Betalningar av faktura {number} enligt reskontran {_kronor_text(-row['ledger_ore'])} kr "
                                          f"({dates}), bokfört {_kronor_text(-row['booked_ore'])} kr")
    if invoice is None:
        return "invoice_missing_from_ledger", (f"{_voucher_list(own)} bokför faktura {number} på {account}, men fakturan "
                                               f"saknas i {kind.title.lower()}n")
    if row["booked_ore"] == 0:
        if not bool(invoice["booked"]):
            return "invoice_not_booked", f"Faktura {number} ({invoice['invoice_date']}) är inte bokförd i Fortnox"
        if len(booked_later):
            return "invoice_booked_after_period_end", (
                f"Faktura {number} är daterad {invoice['invoice_date']} men bokförd efter balansdagen{later}")
        voucher = "" if pd.isna(invoice["voucher_series"]) else (
            f" (verifikation {invoice['voucher_series']} {invoice['voucher_number']})")
        return "invoice_not_booked_by_period_end", (
            f"Faktura {number} ({invoice['invoice_date']}) är bokförd{voucher} men inte på {account} t.o.m. {period_end}")
    if row["ledger_ore"] == 0:
        if bool(invoice["cancelled"]):
            return "cancelled_invoice_booked", f"Faktura {number} är makulerad men bokförd på {account} i {_voucher_list(own)}"
        return "invoice_dated_outside_year", (f"Faktura {number} är daterad {invoice['invoice_date']} men bokförd "
                                              f"i {_voucher_list(own)}")
    return "invoice_amount_differs", (f"Faktura {number} på {_kronor_text(row['ledger_ore'])} kr är bokförd med "
                                      f"{_kronor_text(row['booked_ore'])} kr på {account}")


def _line(kind: str, invoice_number, party_name, vouchers, ledger_ore: int, booked_ore: int, explanation: str) -> dict:
    return {"kind": kind, "invoice_number": invoice_number, "party_name": party_name, "vouchers": vouchers,
            "ledger_ore": ledger_ore, "booked_ore": booked_ore, "difference_ore": ledger_ore - booked_ore,
            "explanation": explanation}


def _reference_numbers(vouchers: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(vouchers["reference_number"], errors="coerce").astype("Int64")


def _parts(kind: LedgerKind, vouchers: pd.DataFrame) -> pd.Series:
    return vouchers["reference_type"].map({kind.invoice_reference: "invoice", kind.payment_reference: "payment"})


def _voucher_list(vouchers: pd.DataFrame) -> str | None:
    named = [f"{series} {number} ({day})" for series, number, day in
             zip(vouchers["series"], vouchers["number"], vouchers["voucher_date"], strict=True)]
    return ", ".join(named) or None


def _result(kind: LedgerKind, items: pd.DataFrame, vouchers: pd.DataFrame, opening_ore: int, period_end: dt.date,
            differences: pd.DataFrame) -> LedgerResult:
    moved = int(vouchers.loc[vouchers["voucher_date"] <= period_end, "amount_ore"].sum())
    ledger_open = int(items["open_ore"].sum())
    balance = kind.sign * (opening_ore + moved)
    return LedgerResult(kind.name, kind.control_account, len(items), ledger_open, balance, ledger_open - balance,
                        int(differences["difference_ore"].sum()))


def _log_result(key: str, period_end: dt.date, kind: LedgerKind, result: LedgerResult, differences: pd.DataFrame) -> None:
    invoices = f"{result.open_items:,} {kind.name} invoices open at {period_end}, {_kronor_log(result.ledger_open_ore)}"
    if result.reconciles:
        log.info("client %s: %s; reconciles with %s", key, invoices, kind.control_account)
        return
    log.warning("client %s: %s; %s shows %s, a difference of %s; %s explaining line(s) found for %s%s", key, invoices,
                kind.control_account, _kronor_log(result.account_balance_ore), _kronor_log(result.difference_ore),
                len(differences), _kronor_log(result.explained_ore),
                "" if result.explained_ore == result.difference_ore
                else f", {_kronor_log(result.difference_ore - result.explained_ore)} unexplained")
    for line in differences.itertuples():
        log.warning("client %s: %s ledger: %s", key, kind.name, line.explanation)


# --- appendices ---

OPEN_ITEM_HEADINGS = {
    "invoice_number": "Fakturanr", "external_invoice_number": "Leverantörens fakturanr", "party_number": "{party}nr",
    "party_name": "{party}", "invoice_date": "Fakturadatum", "due_date": "Förfallodatum", "total_ore": "Fakturabelopp",
    "paid_by_period_end_ore": "Betalt t.o.m. {date}", "open_ore": "Öppet belopp {date}",
    "days_overdue": "Dagar efter förfallodag", "ageing_bucket": "Åldersintervall",
    "paid_after_period_end_ore": "Betalt efter {date}", "payments_after_period_end": "Betalningar efter {date}",
}
AMOUNT_COLUMNS = ("total_ore", "paid_by_period_end_ore", "open_ore", "paid_after_period_end_ore")
DIFFERENCE_HEADINGS = ("Fakturanr", "{party}", "Verifikationer", "Enligt reskontran", "Bokfört", "Differens", "Förklaring")


def write_ledger_appendices(ctx: SyncContext, period_end: dt.date) -> list[Path]:
    """Write each ledger's open items with its reconciliation as XLSX and CSV under out_dir/<client>/; replaces earlier files."""
    key = ctx.client.key
    folder = ctx.out_dir / key
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with ctx.engine.connect() as connection:
        for kind in LEDGERS:
            scope = {"client_key": key, "period_end": period_end.isoformat(), "ledger": kind.name}
            reconciliation = _frame(connection, "ledgers/select_reconciliation", **scope)
            if not len(reconciliation):
                raise LedgersNotReady(f"client {key}: no {kind.name} ledger is built for {period_end}; "
                                      f"run build_ledger_appendices for {period_end} first")
            sheet = _appendix(kind, period_end, ctx.client.name,
                              _dated(_frame(connection, "ledgers/select_open_items", **scope),
                                     "invoice_date", "due_date", "last_payment_after_date"),
                              reconciliation.iloc[0], _frame(connection, "ledgers/select_differences", **scope))
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


# --- helpers ---

def _financial_year(connection: Connection, key: str, period_end: dt.date) -> dict:
    years = _dated(_frame(connection, "ledgers/select_financial_years", client_key=key), "from_date", "to_date")
    holding = years[(years["from_date"] <= period_end) & (years["to_date"] >= period_end)]
    if not len(holding):
        raise LedgersNotReady(f"client {key}: staging holds no financial year containing {period_end}; "
                              "run extract_from_fortnox for the period first")
    year = holding.iloc[0]
    return {"financial_year_id": int(year["financial_year_id"]), "from_date": year["from_date"], "to_date": year["to_date"]}


def _frame(connection: Connection, name: str, **params) -> pd.DataFrame:
    result = connection.execute(text(sql(name)), params)
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def _dated(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Date columns as datetime.date (SQLite gives text, PostgreSQL dates), missing ones as None."""
    for column in columns:
        frame[column] = [None if value is None or pd.isna(value) else _date(value) for value in frame[column]]
    return frame


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _rows(frame: pd.DataFrame) -> Iterable[dict]:
    """Rows ready for the database: plain Python values, dates as ISO text, missing values as None."""
    for record in frame.astype(object).to_dict("records"):
        yield {name: None if value is None or (not isinstance(value, str) and pd.isna(value))
               else value.isoformat() if isinstance(value, dt.date) else value
               for name, value in record.items()}


def _ore(value: object, rate: Decimal = Decimal(1)) -> int:
    """A Fortnox amount (number or string, empty as 0) in whole öre of SEK."""
    if value in (None, ""):
        return 0
    return int((Decimal(str(value)) * rate * 100).to_integral_value())


def _kronor(ore: int) -> Decimal:
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))


def _kronor_text(ore: int) -> str:
    return f"{Decimal(int(ore)) / 100:.2f}".replace(".", ",")


def _kronor_log(ore: int) -> str:
    return f"{Decimal(int(ore)) / 100:,.2f} kr"


def _bool(value: object) -> bool:
    # Fortnox sends some booleans as strings.
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)


def _int_or_none(value: object) -> int | None:
    return int(value) if value not in (None, "") else None


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
