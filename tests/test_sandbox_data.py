"""The sandbox's generated data: sizes, companies, ledgers that reconcile with the books, and the
SIE file the sandbox serves, checked against the project's own SIE reader and rules and, over HTTP,
against the JSON API."""
from __future__ import annotations

import dataclasses
import json
import re
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests

from fortnox_etl.sandbox.consent import consent
from fortnox_etl.config import Client
from fortnox_etl.sandbox.generator import CompanySpec, generate_companies, generate_company, sandbox_company
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from fortnox_etl.sandbox.sie_export import sie_file
from fortnox_etl.sie.reader import iter_records, read_sie
from fortnox_etl.sie.rules import rule_violations

CALENDAR = CompanySpec(tenant_id=2001, organisation_number="556677-8899", name="Åkessons Bygg & Måleri AB")
BROKEN_THREE_YEARS = CompanySpec(2002, "559123-4561", "Norrskens Café & Bageri AB", fiscal_year_start_month=7,
                                 first_year=2023, years=3, seed=5)
MEDIUM = CompanySpec(2003, "556000-0006", "Mellanstora Ödeshög AB", first_year=2024, years=1, size="M")


def ore(amount: float | str) -> int:
    return round(float(amount) * 100)


def row_ore(row: dict) -> int:
    return ore(row["Debit"]) - ore(row["Credit"])


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(digits):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += sum(int(d) for d in str(product))
    return total % 10 == 0


@pytest.fixture(scope="module")
def calendar_books():
    return generate_company(CALENDAR)


@pytest.fixture(scope="module")
def broken_books():
    return generate_company(BROKEN_THREE_YEARS)


@pytest.fixture(scope="module")
def medium_books():
    return generate_company(MEDIUM)


# --- sizes and companies ---

def test_a_medium_company_books_about_5000_vouchers_a_year_by_the_book_rules(medium_books):
    vouchers = medium_books.vouchers[1]
    assert 4_500 <= len(vouchers) <= 5_500
    rows = [row for voucher in vouchers for row in voucher["VoucherRows"]]
    assert len(rows) >= 2.5 * len(vouchers)
    assert len({i.customer.number for i in medium_books.ledger.customer_invoices}) > 50
    accounts = {account["Number"]: account for account in medium_books.accounts[1]}
    movement = defaultdict(int)
    numbers = defaultdict(list)
    for voucher in vouchers:
        assert len(voucher["VoucherRows"]) >= 2
        assert sum(row_ore(row) for row in voucher["VoucherRows"] if not row["Removed"]) == 0, voucher
        numbers[voucher["VoucherSeries"]].append(voucher["VoucherNumber"])
        for row in voucher["VoucherRows"]:
            assert row["Account"] in accounts
            if not row["Removed"]:
                movement[row["Account"]] += row_ore(row)
    for series_numbers in numbers.values():
        assert sorted(series_numbers) == list(range(1, len(series_numbers) + 1))
    for number, account in accounts.items():
        assert ore(account["BalanceCarriedForward"]) == ore(account["BalanceBroughtForward"]) + movement[number]
    assert sum(ore(account["BalanceBroughtForward"]) for account in accounts.values()) == 0


def test_an_xl_company_year_of_a_million_rows_is_generated_within_a_minute():
    started = time.perf_counter()
    company = generate_company(CompanySpec(2004, "556000-0014", "Stora Älvsbyn AB", years=1, size="XL"))
    elapsed = time.perf_counter() - started
    vouchers = company.vouchers[1]
    assert 900_000 <= sum(len(voucher["VoucherRows"]) for voucher in vouchers) <= 1_100_000
    assert elapsed < 60, f"generating XL took {elapsed:.0f} s"
    unbalanced = [v for v in vouchers if sum(row_ore(r) for r in v["VoucherRows"] if not r["Removed"])]
    assert unbalanced == []


def test_generated_companies_are_believable_distinct_and_deterministic():
    companies = generate_companies(seed=11, count=6)
    names = [c.company_information["CompanyName"] for c in companies]
    numbers = [c.company_information["OrganizationNumber"] for c in companies]
    tenants = [c.company_information["DatabaseNumber"] for c in companies]
    assert len(set(names)) == len(set(numbers)) == len(set(tenants)) == 6
    assert any(set(name) & set("åäöÅÄÖ") for name in names)
    assert all(name.endswith(" AB") for name in names)
    for number in numbers:
        assert re.fullmatch(r"\d{6}-\d{4}", number)
        assert luhn_valid(number.replace("-", "")), number
    start_months = {c.financial_years[0]["FromDate"][5:7] for c in companies}
    assert "01" in start_months and start_months - {"01"}, "a mix of calendar and broken years"
    again = generate_companies(seed=11, count=6)
    assert [json.dumps(c.vouchers, sort_keys=True) for c in again] == [json.dumps(c.vouchers, sort_keys=True) for c in companies]
    assert [c.company_information["CompanyName"] for c in generate_companies(seed=12, count=6)] != names


def test_the_luhn_check_in_these_tests_refuses_a_wrong_check_digit():
    assert luhn_valid("5566778899") and not luhn_valid("5566778898")


def test_three_years_each_open_with_the_previous_years_closing_balances(broken_books):
    assert [(y["FromDate"], y["ToDate"]) for y in broken_books.financial_years] == [
        ("2023-07-01", "2024-06-30"), ("2024-07-01", "2025-06-30"), ("2025-07-01", "2026-06-30"),
    ]
    for previous, year in zip(broken_books.financial_years, broken_books.financial_years[1:]):
        closing = {a["Number"]: a["BalanceCarriedForward"] for a in broken_books.accounts[previous["Id"]]}
        for account in broken_books.accounts[year["Id"]]:
            expected = closing[account["Number"]] if account["Number"] < 3000 else 0
            assert account["BalanceBroughtForward"] == expected, account["Number"]


# --- the ledgers reconcile with 1510 and 2440 ---

def month_ends(company) -> list[date]:
    first = date.fromisoformat(company.financial_years[0]["FromDate"])
    last = date.fromisoformat(company.financial_years[-1]["ToDate"])
    days, month = [first - timedelta(days=1)], first
    while month <= last:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days.append(following - timedelta(days=1))
        month = following
    return days


def book_balance(company, account: int, day: date) -> int:
    """Opening balance of the first year plus every counted row up to `day`, from the served dicts."""
    first_year = company.financial_years[0]["Id"]
    balance = next(ore(a["BalanceBroughtForward"]) for a in company.accounts[first_year] if a["Number"] == account)
    for vouchers in company.vouchers.values():
        for voucher in vouchers:
            if voucher["TransactionDate"] <= day.isoformat():
                balance += sum(row_ore(r) for r in voucher["VoucherRows"] if r["Account"] == account and not r["Removed"])
    return balance


def open_amount(invoices, payments, number_of, day: date) -> int:
    paid = defaultdict(int)
    for payment in payments:
        if payment.payment_date <= day:
            paid[payment.invoice_number] += payment.amount_ore
    return sum(i.total_ore - paid[number_of(i)] for i in invoices if i.booked and i.invoice_date <= day)


@pytest.mark.parametrize("books", ["calendar_books", "broken_books", "medium_books"])
def test_open_invoices_equal_1510_and_2440_at_every_month_end(books, request):
    company = request.getfixturevalue(books)
    ledger = company.ledger
    for day in month_ends(company):
        receivables = open_amount(ledger.customer_invoices, ledger.customer_payments, lambda i: i.invoice_number, day)
        payables = open_amount(ledger.supplier_invoices, ledger.supplier_payments, lambda i: i.given_number, day)
        assert receivables == book_balance(company, 1510, day), day
        assert payables == -book_balance(company, 2440, day), day


def test_ledgers_hold_open_partly_paid_late_paid_and_cancelled_invoices(broken_books):
    ledger = broken_books.ledger
    years = broken_books.financial_years
    first_end, last_end = date.fromisoformat(years[0]["ToDate"]), date.fromisoformat(years[-1]["ToDate"])
    payments = defaultdict(list)
    for payment in ledger.customer_payments:
        payments[payment.invoice_number].append(payment)
    invoices = [i for i in ledger.customer_invoices if i.booked]
    assert any(sum(p.amount_ore for p in payments[i.invoice_number]) < i.total_ore for i in invoices), "open at the end"
    assert any(len(payments[i.invoice_number]) >= 2 for i in invoices), "paid in instalments"
    assert any(i.invoice_date <= first_end < min(p.payment_date for p in payments[i.invoice_number])
               for i in invoices if payments[i.invoice_number]), "paid after a year end"
    for invoice in invoices:
        assert sum(p.amount_ore for p in payments[invoice.invoice_number]) <= invoice.total_ore
    cancelled = [i for i in ledger.customer_invoices if i.cancelled]
    assert cancelled and all(not i.booked and not payments[i.invoice_number] for i in cancelled)
    assert all(("CustomerInvoice", i.invoice_number) not in ledger.vouchers for i in cancelled)
    assert any(i.cancelled for i in ledger.supplier_invoices)
    assert max(p.payment_date for p in ledger.customer_payments) <= last_end


def voucher_of(company, ref) -> dict:
    return next(v for v in company.vouchers[ref.year_id] if (v["VoucherSeries"], v["VoucherNumber"]) == (ref.series, ref.number))


def test_every_booked_event_points_at_the_voucher_that_booked_it(calendar_books):
    ledger = calendar_books.ledger
    first_day = calendar_books.financial_years[0]["FromDate"]
    for invoice in ledger.customer_invoices:
        if invoice.booked and invoice.invoice_date.isoformat() >= first_day:
            voucher = voucher_of(calendar_books, ledger.vouchers[("CustomerInvoice", invoice.invoice_number)])
            assert [row_ore(r) for r in voucher["VoucherRows"] if r["Account"] == 1510] == [invoice.total_ore]
            assert voucher["_registered"] == invoice.booked_date.isoformat()
            assert invoice.modified.strftime("%Y-%m-%d %H:%M") >= voucher["_modified"]
            assert invoice.currency == "SEK" and invoice.vat_ore > 0
    for kind, account, payments in (("CustomerPayment", 1510, ledger.customer_payments), ("SupplierPayment", 2440, ledger.supplier_payments)):
        for payment in payments:
            voucher = voucher_of(calendar_books, ledger.vouchers[(kind, payment.number)])
            assert voucher["TransactionDate"] == payment.payment_date.isoformat()
            assert abs(sum(row_ore(r) for r in voucher["VoucherRows"] if r["Account"] == account)) == payment.amount_ore
            assert voucher["_modified"] == payment.modified.strftime("%Y-%m-%d %H:%M")


# --- rows, objects and internal keys ---

def test_rows_carry_cost_centres_and_projects_that_exist(calendar_books):
    centres = {c["Code"] for c in calendar_books.cost_centers}
    projects = {p["ProjectNumber"] for p in calendar_books.projects}
    rows = [row for vouchers in calendar_books.vouchers.values() for v in vouchers for row in v["VoucherRows"]]
    used_centres = {row["CostCenter"] for row in rows} - {""}
    used_projects = {row["Project"] for row in rows} - {""}
    assert used_centres and used_centres <= centres
    assert used_projects and used_projects <= projects
    assert any(row["CostCenter"] and row["Project"] for row in rows)


def test_vouchers_are_registered_after_their_date_and_corrections_added_rows(calendar_books):
    added = 0
    for vouchers in calendar_books.vouchers.values():
        for voucher in vouchers:
            transaction_day = date.fromisoformat(voucher["TransactionDate"])
            registered = date.fromisoformat(voucher["_registered"])
            assert transaction_day <= registered <= transaction_day + timedelta(days=20)
            modified = datetime.strptime(voucher["_modified"], "%Y-%m-%d %H:%M")
            assert modified.date() >= registered
            rows = voucher["VoucherRows"]
            for index, row in enumerate(rows):
                if row["Removed"]:
                    replacement = rows[index + 1]
                    assert replacement.get("_added") is True and row_ore(replacement) == row_ore(row)
                    assert modified.date() > registered, "a correction changes the voucher after registration"
                    added += 1
            assert sum(bool(r.get("_added")) for r in rows) == sum(r["Removed"] for r in rows)
    assert added >= 2


# --- the SIE file ---

def sie_path(tmp_path, content: bytes, name="books.se"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def expected_kind(row: dict) -> str:
    return "BTRANS" if row["Removed"] else "RTRANS" if row.get("_added") else "TRANS"


def expected_objects(row: dict) -> list[str]:
    return (["1", row["CostCenter"]] if row["CostCenter"] else []) + (["6", row["Project"]] if row["Project"] else [])


def assert_same_books(sie, vouchers: list[dict], accounts: list[dict], previous_accounts: list[dict] | None):
    """The file's vouchers, rows (removed ones too) and balances are those of the JSON data.

    Served JSON has no "_added" key, so over HTTP an added row (#RTRANS) only shows as one that counts.
    """
    assert rule_violations(sie) == []
    by_key = {(v["VoucherSeries"], str(v["VoucherNumber"])): v for v in vouchers}
    assert sorted((v.series, v.number) for v in sie.vouchers) == sorted(by_key)
    served = all("_added" not in r for v in vouchers for r in v["VoucherRows"])

    def kind(name: str) -> str:
        return "TRANS" if served and name == "RTRANS" else name

    for read in sie.vouchers:
        voucher = by_key[(read.series, read.number)]
        assert (read.date.isoformat(), read.text) == (voucher["TransactionDate"], voucher["Description"])
        assert [(kind(t.kind), t.account, t.amount_ore, t.objects, t.text) for t in read.transactions] == [
            (expected_kind(r), str(r["Account"]), row_ore(r), expected_objects(r), r["TransactionInformation"])
            for r in voucher["VoucherRows"]
        ]
    for index, year_accounts in ((0, accounts), (-1, previous_accounts or [])):
        for account in year_accounts:
            number = str(account["Number"])  # SIE keeps account numbers as written
            if account["Number"] < 3000:
                assert sie.opening.get((index, number), 0) == ore(account["BalanceBroughtForward"]), number
                assert sie.closing.get((index, number), 0) == ore(account["BalanceCarriedForward"]), number
            else:
                assert sie.results.get((index, number), 0) == ore(account["BalanceCarriedForward"]), number


def test_type_4_files_describe_the_same_books_as_the_json(calendar_books, broken_books, tmp_path):
    for company in (calendar_books, broken_books):
        previous = None
        for year in company.financial_years:
            sie = read_sie(sie_path(tmp_path, sie_file(company, year["Id"])))
            assert sie.years[0] == (date.fromisoformat(year["FromDate"]), date.fromisoformat(year["ToDate"]))
            assert (-1 in sie.years) == (previous is not None)
            assert_same_books(sie, company.vouchers[year["Id"]], company.accounts[year["Id"]],
                              company.accounts[previous["Id"]] if previous else None)
            previous = year


def test_the_file_starts_as_fortnox_writes_it_in_cp437(calendar_books):
    content = sie_file(calendar_books, 2, generated_on=date(2025, 8, 12))
    assert "Åkessons Bygg & Måleri AB".encode("cp437") in content
    lines = content.decode("cp437").splitlines()
    labels = [line.split()[0] for line in lines[:13]]
    assert labels == ["#FLAGGA", "#FORMAT", "#SIETYP", "#PROGRAM", "#GEN", "#FNR", "#FNAMN", "#ADRESS",
                      "#RAR", "#RAR", "#ORGNR", "#OMFATTN", "#KPTYP"]
    assert lines[3] == '#PROGRAM "Fortnox" 3.57.11' and lines[4] == "#GEN 20250812"
    assert lines[8:10] == ["#RAR 0 20250101 20251231", "#RAR -1 20240101 20241231"]
    assert '#DIM 1 "Kostnadsställe"' in lines and '#DIM 6 "Projekt"' in lines
    assert any(re.fullmatch(r'#TRANS 3001 \{1 "200" 6 "\d+"\} -\d+(\.\d\d)? "" "Kundfaktura .*" 0', line) for line in lines)
    registered = re.compile(r'#VER [A-E] \d+ (\d{8}) ".*" (\d{8})')
    assert all(m.group(2) >= m.group(1) for m in map(registered.fullmatch, lines) if m)
    # An added row is written as #RTRANS and again as #TRANS for older readers.
    rtrans = [i for i, line in enumerate(lines) if line.startswith("#RTRANS")]
    assert rtrans and all(lines[i + 1] == "#TRANS" + lines[i][len("#RTRANS"):] for i in rtrans)
    assert any(line.startswith("#BTRANS") for line in lines)
    whole = [line for line in lines if line.startswith("#TRANS") and re.search(r"\} -?\d+ ", line)]
    assert whole, "whole kronor are written without decimals"


def records(tmp_path, content: bytes):
    return list(iter_records(sie_path(tmp_path, content, "records.se").read_bytes()))


@pytest.mark.parametrize("sie_type", [1, 2, 3])
def test_balance_only_types_have_balances_that_agree_with_type_4(calendar_books, tmp_path, sie_type):
    full = read_sie(sie_path(tmp_path, sie_file(calendar_books, 2)))
    content = sie_file(calendar_books, 2, sie_type)
    sie = read_sie(sie_path(tmp_path, content, "balances.se"))
    assert sie.header("#SIETYP") == str(sie_type) and sie.vouchers == []
    assert (sie.opening, sie.closing, sie.results) == (full.opening, full.closing, full.results)
    found = records(tmp_path, content)
    psaldo = [r for r in found if r.label == "#PSALDO"]
    assert bool(psaldo) == (sie_type >= 2)
    assert any(r.label in ("#DIM", "#OBJEKT") for r in found) == (sie_type >= 3)
    if sie_type >= 2:
        totals = [r for r in psaldo if r.fields[0] == "0" and r.fields[3] == []]
        for account in calendar_books.accounts[2]:
            number = account["Number"]
            # #PSALDO is the period's change: a year's add up to the result, or to UB - IB.
            change = sum(ore(r.fields[4]) for r in totals if int(r.fields[2]) == number)
            expected = ore(account["BalanceCarriedForward"])
            if number < 3000:
                expected -= ore(account["BalanceBroughtForward"])
            assert change == expected, number
    if sie_type == 3:
        by_object = defaultdict(int)
        for r in psaldo:
            if r.fields[0] == "0" and r.fields[3] == ["6", "1001"]:
                by_object[int(r.fields[2])] += ore(r.fields[4])
        expected = defaultdict(int)
        for voucher in calendar_books.vouchers[2]:
            for row in voucher["VoucherRows"]:
                if row["Project"] == "1001" and not row["Removed"]:
                    expected[row["Account"]] += row_ore(row)
        assert by_object and dict(by_object) == dict(expected)


def test_dates_limit_the_vouchers_and_omfattn(calendar_books, tmp_path):
    to_date = date(2025, 3, 31)
    sie = read_sie(sie_path(tmp_path, sie_file(calendar_books, 2, to_date=to_date)))
    assert sie.header("#OMFATTN") == "20250331"
    assert sie.vouchers and max(v.date for v in sie.vouchers) <= to_date
    assert len(sie.vouchers) == sum(v["TransactionDate"] <= "2025-03-31" for v in calendar_books.vouchers[2])
    assert rule_violations(sie) == []
    assert sie.closing[(0, "1510")] == book_balance(calendar_books, 1510, to_date)
    window = read_sie(sie_path(tmp_path, sie_file(calendar_books, 2, 4, date(2025, 2, 1), date(2025, 2, 28)), "feb.se"))
    assert window.vouchers and all(date(2025, 2, 1) <= v.date <= date(2025, 2, 28) for v in window.vouchers)


def test_a_voucher_appended_later_is_in_the_file_and_its_balances(tmp_path):
    company = generate_company(CALENDAR)
    before = read_sie(sie_path(tmp_path, sie_file(company, 2), "before.se"))
    rows = [
        {"Account": 6110, "CostCenter": "100", "Credit": 0.0, "Debit": 1234.5, "Project": "", "Removed": False,
         "TransactionInformation": "Pärmar"},
        {"Account": 1930, "CostCenter": "", "Credit": 1234.5, "Debit": 0.0, "Project": "", "Removed": False,
         "TransactionInformation": ""},
    ]
    company.vouchers[2].append({"Description": "Kontorsmaterial", "TransactionDate": "2025-05-05", "VoucherNumber": 999,
                                "VoucherRows": rows, "VoucherSeries": "A", "Year": 2})
    after = read_sie(sie_path(tmp_path, sie_file(company, 2), "after.se"))
    assert rule_violations(after) == []
    assert [v.number for v in after.vouchers if v.series == "A"][-1] == "999"
    assert after.closing[(0, "1930")] == before.closing[(0, "1930")] - 123450
    assert after.results[(0, "6110")] == before.results.get((0, "6110"), 0) + 123450


def test_unknown_year_or_type_is_refused(calendar_books):
    with pytest.raises(LookupError):
        sie_file(calendar_books, 9)
    with pytest.raises(ValueError):
        sie_file(calendar_books, 1, 5)


# --- over HTTP: /3/sie/4 and the JSON API tell the same story ---

class FixedClock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now


def http_get(sandbox, token: str, path: str, **params) -> requests.Response:
    answer = requests.get(f"{sandbox.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer


def access_token(sandbox, organisation_number: str) -> str:
    params = {"client_id": SANDBOX_CLIENT_ID, "redirect_uri": "http://127.0.0.1:9/callback", "scope": "bookkeeping",
              "state": "s", "access_type": "offline", "response_type": "code"}
    redirect = consent(f"{sandbox.base_url}/oauth-v1/auth?{urlencode(params)}", organisation_number)
    code = parse_qs(urlparse(redirect).query)["code"][0]
    answer = requests.post(f"{sandbox.base_url}/oauth-v1/token", auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=10,
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/callback"})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def served_books(sandbox, token: str, year_id: int) -> tuple[list[dict], list[dict]]:
    """Every voucher with its rows (the list, then each single) and every account (singles carry UB)."""
    listed, page = [], 1
    while True:
        answer = http_get(sandbox, token, "/3/vouchers", financialyear=year_id, limit=500, page=page).json()
        listed += answer["Vouchers"]
        if page >= answer["MetaInformation"]["@TotalPages"]:
            break
        page += 1
    vouchers = [http_get(sandbox, token, f"/3/vouchers/{v['VoucherSeries']}/{v['VoucherNumber']}",
                         financialyear=year_id).json()["Voucher"] for v in listed]
    chart = http_get(sandbox, token, "/3/accounts", financialyear=year_id, limit=500).json()["Accounts"]
    accounts = [http_get(sandbox, token, f"/3/accounts/{a['Number']}", financialyear=year_id).json()["Account"] for a in chart]
    return vouchers, accounts


def test_sie_over_http_matches_the_json_api_also_after_a_posted_voucher(tmp_path):
    company = generate_company(CALENDAR)
    clock = FixedClock(datetime(2025, 6, 1, 9, tzinfo=timezone.utc))
    with RunningSandbox([company], rate_limit=False, clock=clock) as sandbox:
        token = access_token(sandbox, CALENDAR.organisation_number)
        years = http_get(sandbox, token, "/3/financialyears").json()["FinancialYears"]
        assert [year["Id"] for year in years] == [1, 2]
        accounts_of: dict[int, list[dict]] = {}
        for year in years:
            vouchers, accounts_of[year["Id"]] = served_books(sandbox, token, year["Id"])
            content = http_get(sandbox, token, "/3/sie/4", financialyear=year["Id"]).content
            sie = read_sie(sie_path(tmp_path, content, f"http-{year['Id']}.se"))
            assert sie.header("#FNAMN") == CALENDAR.name and sie.header("#ORGNR") == CALENDAR.organisation_number
            assert_same_books(sie, vouchers, accounts_of[year["Id"]], accounts_of.get(year["Id"] - 1))

        posted = requests.post(
            f"{sandbox.base_url}/3/vouchers", params={"financialyear": 2}, timeout=10,
            headers={"Authorization": f"Bearer {token}"},
            json={"Voucher": {"Description": "Kaffe till personalen", "TransactionDate": "2025-05-20", "VoucherSeries": "A",
                              "VoucherRows": [{"Account": 7690, "Debit": 349.0, "CostCenter": "100"},
                                              {"Account": 1930, "Credit": 349.0}]}},
        )
        assert posted.status_code == 201, posted.text
        number = str(posted.json()["Voucher"]["VoucherNumber"])
        vouchers, accounts = served_books(sandbox, token, 2)
        sie = read_sie(sie_path(tmp_path, http_get(sandbox, token, "/3/sie/4", financialyear=2).content, "posted.se"))
        assert ("A", number) in {(v.series, v.number) for v in sie.vouchers}
        assert_same_books(sie, vouchers, accounts, accounts_of[1])


@pytest.mark.parametrize("start_month, today, last_year", [
    (1, date(2026, 12, 6), ("2026-01-01", "2026-12-31")),
    (1, date(2027, 1, 2), ("2027-01-01", "2027-12-31")),
    (7, date(2026, 6, 30), ("2025-07-01", "2026-06-30")),
    (7, date(2026, 12, 6), ("2026-07-01", "2027-06-30")),
])
def test_a_clients_sandbox_books_reach_the_financial_year_of_today(start_month, today, last_year):
    client = Client("acme", "Acme Bygg & Montage AB", "556677-8899", fiscal_year_start_month=start_month)
    spec = sandbox_company(client, 1001, today=today)
    first = date(2024, start_month, 1)
    assert (spec.first_year, spec.fiscal_year_start_month) == (2024, start_month)
    years = generate_company(dataclasses.replace(spec, size="S")).financial_years
    assert years[0]["FromDate"] == first.isoformat()
    assert (years[-1]["FromDate"], years[-1]["ToDate"]) == last_year


def test_generated_companies_reach_the_financial_year_of_today_unless_told_otherwise():
    companies = generate_companies(seed=11, count=3, today=date(2026, 12, 6))
    assert all(c.financial_years[-1]["FromDate"] <= "2026-12-06" <= c.financial_years[-1]["ToDate"] for c in companies)
    assert [len(c.financial_years) for c in generate_companies(seed=11, count=3, years=1)] == [1, 1, 1]
