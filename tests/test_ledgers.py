"""Customer and supplier ledgers at a balance date against the sandbox, on SQLite and PostgreSQL.

Expected figures come from the generator's business events (invoices and payments) and its
vouchers, never from what the code under test wrote.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal
from functools import cache

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, text

from fortnox_etl.config import Client
from fortnox_etl.extract.load_stats import load_resources
from fortnox_etl.period_end import ledger_appendices, ledger_reconciliation, ledgers
from fortnox_etl.sandbox.generator import CompanySpec, Payment, generate_company, organisation_number_with_check_digit
from fortnox_etl.sandbox.running import RunningSandbox
from sync_helpers import run_sync

MEDIUM_SPEC = CompanySpec(tenant_id=424242, organisation_number=organisation_number_with_check_digit("556123456"),
                          name="Mellanstora Byggen i Mora AB", fiscal_year_start_month=9, size="M", seed=3)


@cache
def medium_books():
    return [generate_company(MEDIUM_SPEC)]


@pytest.fixture
def app(app):
    """The bureau's app asking for the ledger scopes as well."""
    return dataclasses.replace(app, scopes=app.scopes + ledgers.LEDGER_SCOPES)


@pytest.fixture
def sandbox(companies):
    """Without Fortnox's rate limit: payment lists carry no dates, so the ledgers read each payment's own
    record, hundreds of requests that would take minutes at 25 per 5 seconds."""
    with RunningSandbox(companies, rate_limit=False) as running:
        yield running


@pytest.fixture
def make_context(make_context):
    """Contexts whose own rate limiter is lifted as well (see `sandbox`)."""
    return lambda client, connect=True: dataclasses.replace(make_context(client, connect), requests_per_window=10_000)


@pytest.fixture
def companies(companies, request):
    """The clients' companies, or other books when a test parametrizes `companies` with a builder."""
    build = getattr(request, "param", None)
    return build(companies) if build else companies


def client_of(company) -> Client:
    spec = company.spec
    return Client("medium", spec.name, spec.organisation_number, spec.fiscal_year_start_month)


def run_ledgers(ctx, period_end: dt.date):
    run_sync(ctx, f"{period_end:%Y-%m}")
    counts = ledgers.extract_ledgers(ctx, period_end)
    summary = ledger_reconciliation.build_ledgers(ctx, period_end)
    return counts, summary, ledger_appendices.write_ledger_appendices(ctx, period_end)


def events(company, ledger: str):
    books = company.ledger
    if ledger == "customer":
        return books.customer_invoices, books.customer_payments, lambda invoice: invoice.invoice_number
    return books.supplier_invoices, books.supplier_payments, lambda invoice: invoice.given_number


def expected_open(company, ledger: str, day: dt.date) -> dict[int, int]:
    """Invoice number → amount open at `day`, from the generator's invoices and payments."""
    invoices, payments, number_of = events(company, ledger)
    paid = defaultdict(int)
    for payment in payments:
        if payment.payment_date <= day:
            paid[payment.invoice_number] += payment.amount_ore
    owed = {number_of(i): i.total_ore - paid[number_of(i)] for i in invoices if not i.cancelled and i.invoice_date <= day}
    return {number: amount for number, amount in owed.items() if amount}


def book_balance(company, account: int, day: dt.date) -> int:
    """The account's balance at `day` from the served vouchers: first year's opening balance plus counted rows."""
    first_year = company.financial_years[0]["Id"]
    balance = next(round(a["BalanceBroughtForward"] * 100) for a in company.accounts[first_year] if a["Number"] == account)
    for vouchers in company.vouchers.values():
        for voucher in vouchers:
            if voucher["TransactionDate"] <= day.isoformat():
                balance += sum(round((row["Debit"] - row["Credit"]) * 100) for row in voucher["VoucherRows"]
                               if row["Account"] == account and not row["Removed"])
    return balance


def stored(engine, table: str, **where) -> list[dict]:
    condition = " AND ".join(f"{name} = :{name}" for name in where)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(f"SELECT * FROM {table} WHERE {condition}"), where).mappings()]


def open_items(engine, period_end: dt.date, ledger: str) -> dict[int, dict]:
    rows = stored(engine, "ledger_open_items", period_end=period_end.isoformat(), ledger=ledger)
    return {int(row["invoice_number"]): row for row in rows}


def as_date(value) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(str(value)[:10])


def read_csv(path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file, delimiter=";"))


def kronor(text_value: str) -> Decimal:
    return Decimal(text_value.replace(",", "."))


# --- reconciliation at year end and mid-year ---

PERIODS = {  # client index → (year end, a month end inside the year)
    0: (dt.date(2025, 12, 31), dt.date(2025, 6, 30)),
    1: (dt.date(2026, 6, 30), dt.date(2025, 12, 31)),
}


@pytest.mark.parametrize("when", [0, 1], ids=["year-end", "mid-year"])
@pytest.mark.parametrize("client_index", [0, 1], ids=["calendar-year", "broken-year"])
def test_ledger_appendices_reconcile_with_1510_and_2440_to_the_ore(make_context, clients, companies, client_index, when):
    client, company = clients[client_index], companies[client_index]
    period_end = PERIODS[client_index][when]
    ctx = make_context(client)
    counts, summary, paths = run_ledgers(ctx, period_end)

    receivables, payables = (expected_open(company, name, period_end) for name in ("customer", "supplier"))
    assert receivables and payables
    assert summary.customer.ledger_open_ore == sum(receivables.values()) == book_balance(company, 1510, period_end)
    assert summary.supplier.ledger_open_ore == sum(payables.values()) == -book_balance(company, 2440, period_end)
    assert summary.reconciles
    for result in (summary.customer, summary.supplier):
        assert result.account_balance_ore == result.ledger_open_ore and result.explained_ore == 0
    assert {n: row["open_ore"] for n, row in open_items(ctx.engine, period_end, "customer").items()} == receivables
    assert {n: row["open_ore"] for n, row in open_items(ctx.engine, period_end, "supplier").items()} == payables
    reconciliation = {row["ledger"]: row for row in stored(ctx.engine, "ledger_reconciliation",
                                                           period_end=period_end.isoformat())}
    assert (reconciliation["customer"]["control_account"], reconciliation["supplier"]["control_account"]) == (1510, 2440)
    assert reconciliation["supplier"]["account_balance_ore"] == -book_balance(company, 2440, period_end)
    payments = counts["invoice_payments"] + counts["supplier_invoice_payments"]
    assert counts["requests"] - payments <= 12, "about ten list requests, and one per payment for its date"

    day = period_end.isoformat()
    assert [p.name for p in paths] == [f"{client.key}_kundreskontra_{day}.xlsx", f"{client.key}_kundreskontra_{day}.csv",
                                       f"{client.key}_leverantorsreskontra_{day}.xlsx",
                                       f"{client.key}_leverantorsreskontra_{day}.csv"]
    assert all(p.parent == ctx.out_dir / client.key for p in paths)
    for (xlsx, csv_path), expected, account in ((paths[:2], receivables, 1510), (paths[2:], payables, 2440)):
        total = Decimal(sum(expected.values())) / 100
        book = load_workbook(xlsx)
        items, recon = book.worksheets
        rows = list(items.iter_rows(values_only=True))
        header = rows[2]
        open_column = header.index(f"Öppet belopp {day}")
        assert rows[-1][0] == "Summa" and Decimal(str(rows[-1][open_column])) == total
        assert sorted(row[0] for row in rows[3:-1]) == sorted(expected)
        assert sum(Decimal(str(row[open_column])) for row in rows[3:-1]) == total
        assert "Fakturadatum" in header and "Förfallodatum" in header and "Åldersintervall" in header
        lines = {row[0]: row[1] for row in recon.iter_rows(values_only=True) if row and row[0]}
        assert any(str(account) in label for label in lines)
        assert lines["Differens"] == 0

        table = read_csv(csv_path)
        summa = next(row for row in table if row and row[0] == "Summa")
        assert kronor(summa[table[0].index(f"Öppet belopp {day}")]) == total
        assert kronor(next(row for row in table if row and row[0] == "Differens")[1]) == 0
        assert any(row and row[0].startswith(f"Avstämning mot konto {account}") for row in table)


def medium_company(companies):
    """A medium-size company with a broken year (September-August)."""
    return medium_books()


@pytest.mark.parametrize("companies", [medium_company], indirect=True)
def test_a_medium_company_reconciles_at_year_end_and_mid_year(make_context, companies, sandbox):
    company = companies[0]
    ctx = make_context(client_of(company))
    year_start = dt.date.fromisoformat(company.financial_years[-1]["FromDate"])
    singles_read = []
    for period_end in (dt.date.fromisoformat(company.financial_years[-1]["ToDate"]), dt.date(2026, 2, 28)):
        before = single_payment_reads(sandbox, company)
        counts, summary, _ = run_ledgers(ctx, period_end)
        singles_read.append(single_payment_reads(sandbox, company) - before)
        assert summary.reconciles, summary
        assert summary.customer.ledger_open_ore == sum(expected_open(company, "customer", period_end).values()) \
            == book_balance(company, 1510, period_end)
        assert summary.supplier.ledger_open_ore == sum(expected_open(company, "supplier", period_end).values()) \
            == -book_balance(company, 2440, period_end)
        # The fewest requests: one register page each; customers: the year's invoices in pages of 500 and one
        # request each for older unpaid and older changed invoices; suppliers (no date filters): every invoice
        # and those changed after the date; per ledger the payments in pages of 500, and each payment's own
        # record for its date (the list has none) unless an earlier extraction read it; an invoice whose balance
        # those payments do not explain (one registered before the year's last month) costs one more.
        invoices, _, _ = events(company, "customer")
        pages = 2 + math.ceil(sum(1 for i in invoices if year_start <= i.invoice_date <= period_end) / 500) + 2
        pages += math.ceil(len(events(company, "supplier")[0]) / 500) + 1
        pages += math.ceil(counts["invoice_payments"] / 500) + math.ceil(counts["supplier_invoice_payments"] / 500)
        assert pages <= counts["requests"] - singles_read[-1] <= pages + 2
    payments = sum(len(events(company, ledger)[1]) for ledger in ("customer", "supplier"))
    assert singles_read[1] <= singles_read[0] < payments / 10, "payments are dated by their vouchers, or read once"


def single_payment_reads(sandbox, company, *paths: str) -> int:
    """Reads of single payments (for their dates) the sandbox saw for the company."""
    paths = paths or ("/3/invoicepayments/", "/3/supplierinvoicepayments/")
    return sum(count for path, count in sandbox.requests(company.spec.tenant_id).items() if path.startswith(paths))


# --- open items: partly paid, paid after the balance date, cancelled, ageing ---

def test_open_items_hold_partly_paid_late_paid_and_cancelled_invoices(make_context, clients, companies):
    client, company = clients[0], companies[0]
    invoices, payments, _ = events(company, "customer")
    paid_on = defaultdict(list)
    for payment in payments:
        paid_on[payment.invoice_number].append(payment)
    month_ends = [dt.date(2025, month + 1, 1) - dt.timedelta(days=1) for month in range(1, 12)]

    def partly_paid(day):
        return [i for i in invoices if i.invoice_date <= day and len(paid_on[i.invoice_number]) > 1
                and min(p.payment_date for p in paid_on[i.invoice_number]) <= day
                < max(p.payment_date for p in paid_on[i.invoice_number])]

    period_end = next(day for day in reversed(month_ends) if partly_paid(day))
    ctx = make_context(client)
    run_ledgers(ctx, period_end)
    items = open_items(ctx.engine, period_end, "customer")

    partly = partly_paid(period_end)[0]
    row = items[partly.invoice_number]
    before = [p for p in paid_on[partly.invoice_number] if p.payment_date <= period_end]
    after = sorted((p for p in paid_on[partly.invoice_number] if p.payment_date > period_end), key=lambda p: p.payment_date)
    assert row["total_ore"] == partly.total_ore
    assert row["paid_by_period_end_ore"] == sum(p.amount_ore for p in before) > 0
    assert row["open_ore"] == partly.total_ore - row["paid_by_period_end_ore"]
    assert row["paid_after_period_end_ore"] == sum(p.amount_ore for p in after)
    assert as_date(row["last_payment_after_date"]) == after[-1].payment_date
    assert all(str(p.payment_date) in row["payments_after_period_end"] for p in after)

    late = next(i for i in invoices if i.invoice_date <= period_end and not i.cancelled and paid_on[i.invoice_number]
                and min(p.payment_date for p in paid_on[i.invoice_number]) > period_end)
    row = items[late.invoice_number]
    assert (row["paid_by_period_end_ore"], row["open_ore"], row["paid_after_period_end_ore"]) == (0, late.total_ore, late.total_ore)
    assert as_date(row["invoice_date"]) == late.invoice_date and as_date(row["due_date"]) == late.due_date
    assert row["party_name"] == late.customer.name and row["party_number"] == late.customer.number

    for ledger, table, number in (("customer", "raw_invoices", "invoice_number"),
                                  ("supplier", "raw_supplier_invoices", "given_number")):
        ledger_invoices, _, number_of = events(company, ledger)
        cancelled = [number_of(i) for i in ledger_invoices if i.cancelled and i.invoice_date.year == 2025
                     and i.invoice_date <= period_end]
        assert cancelled, ledger
        raw = {row[number]: row for row in stored(ctx.engine, table, client_key=client.key)}
        assert all(raw[n]["cancelled"] for n in cancelled), "read from Cancelled, and Cancel in the supplier list"
        assert not set(cancelled) & set(open_items(ctx.engine, period_end, ledger))

    for ledger in ("customer", "supplier"):
        ledger_invoices, _, number_of = events(company, ledger)
        due = {number_of(i): i.due_date for i in ledger_invoices}
        for number, row in open_items(ctx.engine, period_end, ledger).items():
            days = (period_end - due[number]).days
            assert row["days_overdue"] == days
            assert row["ageing_bucket"] == ("not_due" if days <= 0 else "1-30" if days <= 30 else "31-60" if days <= 60
                                            else "61-90" if days <= 90 else "over_90")


def test_each_ageing_bucket_from_days_past_due():
    period_end = dt.date(2025, 12, 31)
    days_past_due = {1: -10, 2: 0, 3: 1, 4: 30, 5: 31, 6: 60, 7: 61, 8: 90, 9: 91, 10: 400}
    invoices = pd.DataFrame([{
        "invoice_number": number, "external_invoice_number": None, "party_number": "1", "party_name": "Kund AB",
        "invoice_date": period_end - dt.timedelta(days=days + 30), "due_date": period_end - dt.timedelta(days=days),
        "total_ore": 100_00, "cancelled": False,
    } for number, days in days_past_due.items()])
    payments = pd.DataFrame({"payment_number": [1], "invoice_number": [10], "payment_date": [dt.date(2026, 1, 15)],
                             "amount_ore": [40_00]})
    items = ledger_reconciliation.open_items(invoices, payments, period_end).set_index("invoice_number")
    assert items["ageing_bucket"].to_dict() == {
        1: "not_due", 2: "not_due", 3: "1-30", 4: "1-30", 5: "31-60", 6: "31-60", 7: "61-90", 8: "61-90",
        9: "over_90", 10: "over_90"}
    assert items["days_overdue"].to_dict() == days_past_due
    assert items.loc[10, "paid_after_period_end_ore"] == 40_00 and items.loc[10, "open_ore"] == 100_00


# --- invoices from before the year ---

def test_older_invoices_open_at_the_balance_date_and_paid_after_it_are_found(make_context, clients, companies, sandbox):
    client, company = clients[0], companies[0]
    period_end = dt.date(2024, 1, 2)  # two days into the first year: last year's invoices are still open
    ctx = make_context(client)
    _, summary, _ = run_ledgers(ctx, period_end)
    for ledger in ("customer", "supplier"):
        expected = expected_open(company, ledger, period_end)
        invoices, _, number_of = events(company, ledger)
        assert any(i.invoice_date.year == 2023 for i in invoices if number_of(i) in expected)
        assert {n: row["open_ore"] for n, row in open_items(ctx.engine, period_end, ledger).items()} == expected
    assert summary.reconciles
    assert summary.customer.account_balance_ore == book_balance(company, 1510, period_end) > 0
    assert sandbox.requests(company.spec.tenant_id)["/3/invoicepayments"] == 1, "every payment came with the list"

    recorded = {row["resource"]: row for row in load_resources(ctx.engine, client.key) if row["period_end"]}
    assert set(recorded) == {"customers", "suppliers", "customer invoices", "customer payments",
                             "supplier invoices", "supplier payments"}
    assert recorded["customer invoices"]["requests"] == 3, "the year's invoices, older unpaid ones, older changed ones"
    # The list, and the own record of each payment whose date its voucher in the staged year does not give.
    singles = single_payment_reads(sandbox, company, "/3/invoicepayments/")
    assert recorded["customer payments"]["requests"] == 1 + singles
    assert singles < recorded["customer payments"]["rows_loaded"]
    assert recorded["customer invoices"]["rows_loaded"] == count_rows(ctx.engine, "raw_invoices")
    assert {str(row["period_end"])[:10] for row in recorded.values()} == {period_end.isoformat()}


def count_rows(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def old_invoice_half_paid_before_the_books(companies):
    """Acme, where the first opening invoice was half paid in its own year and never after."""
    company = copy.deepcopy(companies[0])
    books = company.ledger
    first = books.customer_invoices[0]
    books.customer_payments = [p for p in books.customer_payments if p.invoice_number != first.invoice_number]
    paid = first.invoice_date + dt.timedelta(days=3)
    books.customer_payments.append(Payment(max(p.number for p in books.customer_payments) + 1, first.invoice_number,
                                           paid, first.total_ore // 2,
                                           modified=dt.datetime.combine(paid, dt.time(12))))  # registered that day
    return [company, *companies[1:]]


@pytest.mark.parametrize("companies", [old_invoice_half_paid_before_the_books], indirect=True)
def test_an_invoice_from_years_ago_still_open_is_found_with_its_old_payments(make_context, clients, companies, sandbox):
    client, company = clients[0], companies[0]
    first = company.ledger.customer_invoices[0]
    period_end = dt.date(2025, 12, 31)
    ctx = make_context(client)
    _, summary, _ = run_ledgers(ctx, period_end)

    row = open_items(ctx.engine, period_end, "customer")[first.invoice_number]
    assert as_date(row["invoice_date"]) == first.invoice_date and first.invoice_date.year == 2023
    assert row["paid_by_period_end_ore"] == first.total_ore // 2
    assert row["open_ore"] == first.total_ore - first.total_ore // 2 == expected_open(company, "customer", period_end)[1]
    assert row["ageing_bucket"] == "over_90"
    assert sandbox.requests(company.spec.tenant_id)["/3/invoicepayments"] == 2, "the list, and the old invoice's payments"
    # The books had it paid in full in 2024, so 1510 opens 2025 without it: the opening balance explains it.
    assert summary.customer.difference_ore == row["open_ore"] == summary.customer.explained_ore
    (line,) = stored(ctx.engine, "ledger_differences", period_end=period_end.isoformat(), ledger="customer")
    assert line["kind"] == "opening_balance" and line["difference_ore"] == row["open_ore"]


# --- differences ---

def test_a_difference_is_reported_with_the_invoices_that_explain_it(make_context, clients, companies, caplog):
    client, company = clients[0], companies[0]
    period_end = dt.date(2025, 6, 30)
    ctx = make_context(client)
    run_ledgers(ctx, period_end)
    receivables = expected_open(company, "customer", period_end)
    invoices, payments, _ = events(company, "customer")
    lost = max(receivables)  # an open invoice dated in the year, gone from the ledger
    dated_in_year = {i.invoice_number for i in invoices if i.invoice_date.year == 2025}
    paid_in_year = next(p for p in payments if p.payment_date <= period_end and p.invoice_number in dated_in_year
                        and p.invoice_number != lost)
    payables = expected_open(company, "supplier", period_end)
    supplier_lost = min(payables)
    with ctx.engine.begin() as connection:
        connection.execute(text("DELETE FROM raw_invoices WHERE client_key = :k AND invoice_number = :n"),
                           {"k": client.key, "n": lost})
        connection.execute(text("DELETE FROM raw_invoice_payments WHERE client_key = :k AND payment_number = :n"),
                           {"k": client.key, "n": paid_in_year.number})
        connection.execute(text("DELETE FROM raw_supplier_invoices WHERE client_key = :k AND given_number = :n"),
                           {"k": client.key, "n": supplier_lost})
    summary = ledger_reconciliation.build_ledgers(ctx, period_end)
    paths = ledger_appendices.write_ledger_appendices(ctx, period_end)

    customer = summary.customer
    assert customer.account_balance_ore == book_balance(company, 1510, period_end)
    assert customer.difference_ore == -receivables[lost] + paid_in_year.amount_ore == customer.explained_ore
    lines = {row["invoice_number"]: row for row in stored(ctx.engine, "ledger_differences",
                                                            period_end=period_end.isoformat(), ledger="customer")}
    assert set(lines) == {lost, paid_in_year.invoice_number}
    assert lines[lost]["kind"] == "invoice_missing_from_ledger"
    assert lines[lost]["difference_ore"] == -receivables[lost]
    assert "B " in lines[lost]["vouchers"] and str(lost) in lines[lost]["explanation"]
    assert lines[paid_in_year.invoice_number]["kind"] == "payment_missing_from_ledger"
    assert lines[paid_in_year.invoice_number]["difference_ore"] == paid_in_year.amount_ore

    supplier = summary.supplier
    assert supplier.difference_ore == -payables[supplier_lost] == supplier.explained_ore
    (line,) = stored(ctx.engine, "ledger_differences", period_end=period_end.isoformat(), ledger="supplier")
    assert (line["invoice_number"], line["kind"]) == (supplier_lost, "invoice_missing_from_ledger")
    assert "difference" in caplog.text and str(lost) in caplog.text

    recon = load_workbook(paths[0]).worksheets[1]
    cells = [row for row in recon.iter_rows(values_only=True) if row and row[0] is not None]
    assert any(row[0] == lost and row[-1] and str(lost) in row[-1] for row in cells)
    assert Decimal(str(next(row[1] for row in cells if row[0] == "Differens"))) == Decimal(customer.difference_ore) / 100
    table = read_csv(paths[1])
    assert any(row and row[0] == str(lost) and row[5] == f"{Decimal(-receivables[lost]) / 100:.2f}".replace(".", ",")
               for row in table)


# --- reruns ---

def test_rerunning_a_period_replaces_tables_and_files(make_context, clients, companies):
    client = clients[1]
    period_end = dt.date(2025, 12, 31)
    ctx = make_context(client)
    _, _, paths = run_ledgers(ctx, period_end)
    first = ledger_snapshot(ctx.engine), {p.name: p.read_bytes() for p in paths if p.suffix == ".csv"}
    _, _, paths_again = run_ledgers(ctx, period_end)
    assert paths_again == paths
    assert (ledger_snapshot(ctx.engine), {p.name: p.read_bytes() for p in paths if p.suffix == ".csv"}) == first
    assert sorted(p.name for p in (ctx.out_dir / client.key).iterdir() if "reskontra" in p.name) == sorted(p.name for p in paths)
    with pytest.raises(ledgers.LedgersNotReady, match="run the sync of the period ending 2025-11-30 \(its task sync_period\) first"):
        ledger_reconciliation.build_ledgers(ctx, dt.date(2025, 11, 30))


def ledger_snapshot(engine) -> dict[str, list[tuple]]:
    snapshot = {}
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table.startswith("ledger_") or table in ("raw_customers", "raw_suppliers", "raw_ledger_extracts") \
                    or "invoice" in table:
                # A rerun asks Fortnox less: the payments' dates read the first time are known.
                columns = [c["name"] for c in inspect(connection).get_columns(table)
                           if c["name"] not in ("load_id", "loaded_at", "built_at", "requests")]
                rows = connection.execute(text(f"SELECT {', '.join(columns)} FROM {table}")).all()
                snapshot[table] = sorted(tuple(str(value) for value in row) for row in rows)
    assert snapshot["ledger_open_items"] and snapshot["raw_invoice_payments"]
    return snapshot


def test_two_periods_staged_side_by_side_each_build_their_own(make_context, clients):
    """A backfill runs several periods of one client at once: one period's extraction must not replace another's."""
    ctx = make_context(clients[0])
    run_sync(ctx, "2025-12")
    april, may = dt.date(2025, 4, 30), dt.date(2025, 5, 31)
    ledgers.extract_ledgers(ctx, april)
    ledgers.extract_ledgers(ctx, may)
    for period_end in (april, may):
        summary = ledger_reconciliation.build_ledgers(ctx, period_end)
        assert summary.reconciles, period_end
