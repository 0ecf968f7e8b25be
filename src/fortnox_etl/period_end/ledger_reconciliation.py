"""The customer and supplier ledgers' open items at a balance date, and their reconciliation with the
control accounts 1510 and 2440 (`build_ledgers`, the second of the ledger steps; see `ledgers`).

The invoices open at the balance date are rebuilt from invoices and payments (an invoice dated on or
before the date, less its payments dated on or before it; cancelled invoices owe nothing) and aged by
days past due. Where the ledger and its control account differ, `explain_difference` says why, in
lines that add up to the difference.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import text

from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.period import LedgersNotReady
from fortnox_etl.period_end.ledgers import LEDGERS, LedgerKind, dated, financial_year, frame_of, now
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)

AGEING_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "over_90")




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




def build_ledgers(ctx: ClientContext, period_end: dt.date) -> LedgerSummary:
    """Open items at the balance date, aged and reconciled with 1510 and 2440; stored in the ledger_* tables."""
    key = ctx.client.key
    with ctx.engine.connect() as connection:
        extract = frame_of(connection, "ledgers/select_ledger_extract", client_key=key, period_end=period_end.isoformat())
        if not len(extract):
            raise LedgersNotReady(f"client {key}: no ledgers are staged for {period_end}; run the sync of "
                                  f"the period ending {period_end} (its task sync_period) first")
        year = financial_year(connection, key, period_end)
        built = []
        for kind in LEDGERS:
            partition = {"client_key": key, "period_end": period_end.isoformat()}
            invoices = dated(frame_of(connection, f"ledgers/select_{kind.name}_invoices", **partition),
                             "invoice_date", "due_date")
            payments = dated(frame_of(connection, f"ledgers/select_{kind.name}_payments", **partition), "payment_date")
            vouchers = dated(frame_of(connection, "ledgers/select_control_account_vouchers", client_key=key,
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
                "difference_ore": result.difference_ore, "explained_ore": result.explained_ore, "built_at": now(),
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


def _rows(frame: pd.DataFrame) -> Iterable[dict]:
    """Rows ready for the database: plain Python values, dates as ISO text, missing values as None."""
    for record in frame.astype(object).to_dict("records"):
        yield {name: None if value is None or (not isinstance(value, str) and pd.isna(value))
               else value.isoformat() if isinstance(value, dt.date) else value
               for name, value in record.items()}


def _kronor_text(ore: int) -> str:
    return f"{Decimal(int(ore)) / 100:.2f}".replace(".", ",")


def _kronor_log(ore: int) -> str:
    return f"{Decimal(int(ore)) / 100:,.2f} kr"
