"""Customer and supplier ledgers (kund- och leverantörsreskontra) at a balance date.

Three steps, each one Airflow task after the client's SIE tables are built:

- `extract_ledgers` (here): customers, suppliers, invoices and payments from Fortnox into raw_* tables.
- `build_ledgers` (`ledger_reconciliation`): the invoices open at the balance date, rebuilt from
  invoices and payments (an invoice dated on or before the date, less its payments dated on or before
  it; cancelled invoices owe nothing), aged by days past due, and reconciled with the control accounts
  1510 and 2440.
- `write_ledger_appendices` (`ledger_appendices`): XLSX and CSV files per ledger for the closing,
  beside the SIE4 file.

Which invoices are fetched. "Open at the balance date" is not a Fortnox filter, and an invoice from
years ago can still be open, so the lists are cut where nothing open can be lost:
- every invoice dated from the start of the financial year holding the balance date up to that date
  (the reconciliation needs all of them: the year's vouchers on 1510/2440 are matched to them);
- older invoices only when they can be open at the balance date: those unpaid today (`filter=unpaid`)
  and those changed after the balance date (`lastmodified`: a payment after the date changes the
  invoice), both with `todate` the day before the year starts. /3/supplierinvoices takes none of
  these but `filter` (the OpenAPI file) and Fortnox's global `lastmodified`: its whole list is read
  and chosen from in the same way;
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

Here too: the two ledgers' kinds, and what the three steps share in reading staging.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, text

from fortnox_etl.extract.load_stats import LoadStats
from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.fortnox.errors import required
from fortnox_etl.period import LedgersNotReady
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)

# The Fortnox scopes the ledgers need beyond the bookkeeping ones; a client connected without them must reconnect.
LEDGER_SCOPES = ("customer", "invoice", "payment", "supplier", "supplierinvoice")
# Payments are fetched by when they changed, not by their date (the payment endpoints take no dates): from this
# long before the year starts, for a payment registered ahead of its date. One registered earlier still is found
# when its invoice's balance is not explained by the payments fetched.
PAYMENTS_REGISTERED_BEFORE = dt.timedelta(days=31)


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


# --- extraction ---

def extract_ledgers(ctx: ClientContext, period_end: dt.date) -> dict:
    """Load customers, suppliers, invoices and payments for the balance date, replacing the client's raw ledger tables."""
    key = ctx.client.key
    with ctx.engine.connect() as connection:
        year = financial_year(connection, key, period_end)
    complete_from = year["from_date"]
    api = ctx.api()
    stats = LoadStats(api)
    parties = {
        CUSTOMERS: stats.fetch("customers", lambda: [_party(c, "CustomerNumber", "/3/customers")
                                                     for c in api.list("/3/customers", "Customers")]),
        SUPPLIERS: stats.fetch("suppliers", lambda: [_party(s, "SupplierNumber", "/3/suppliers")
                                                     for s in api.list("/3/suppliers", "Suppliers")]),
    }
    with ctx.engine.connect() as connection:
        known_dates = {kind: _KnownPaymentDates.read(connection, key, year["financial_year_id"], kind) for kind in LEDGERS}
    fetched = {kind: _fetch_ledger(api, stats, kind, period_end, complete_from, known_dates[kind]) for kind in LEDGERS}
    load = {"load_id": str(uuid.uuid4()), "loaded_at": now()}
    counts = {
        "load_id": load["load_id"], "customers": len(parties[CUSTOMERS]), "suppliers": len(parties[SUPPLIERS]),
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


def _party(record: dict, number_field: str, path: str) -> dict:
    return {"party_number": str(required(record, number_field, f"GET {path}")), "name": record.get("Name") or "",
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
        vouchers = frame_of(connection, "ledgers/select_control_account_vouchers", client_key=client_key,
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


# --- helpers ---

def financial_year(connection: Connection, key: str, period_end: dt.date) -> dict:
    years = dated(frame_of(connection, "ledgers/select_financial_years", client_key=key), "from_date", "to_date")
    holding = years[(years["from_date"] <= period_end) & (years["to_date"] >= period_end)]
    if not len(holding):
        raise LedgersNotReady(f"client {key}: staging holds no financial year containing {period_end}; "
                              "run the period's sync (its task sync_period) first")
    year = holding.iloc[0]
    return {"financial_year_id": int(year["financial_year_id"]), "from_date": year["from_date"], "to_date": year["to_date"]}


def frame_of(connection: Connection, name: str, **params) -> pd.DataFrame:
    result = connection.execute(text(sql(name)), params)
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def dated(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Date columns as datetime.date (SQLite gives text, PostgreSQL dates), missing ones as None."""
    for column in columns:
        frame[column] = [None if value is None or pd.isna(value) else _date(value) for value in frame[column]]
    return frame


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _ore(value: object, rate: Decimal = Decimal(1)) -> int:
    """A Fortnox amount (number or string, empty as 0) in whole öre of SEK."""
    if value in (None, ""):
        return 0
    return int((Decimal(str(value)) * rate * 100).to_integral_value())


def _bool(value: object) -> bool:
    # Fortnox sends some booleans as strings.
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)


def _int_or_none(value: object) -> int | None:
    return int(value) if value not in (None, "") else None


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
