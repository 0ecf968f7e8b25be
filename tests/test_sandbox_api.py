"""The sandbox's /3 API over real HTTP: ledgers judged by the clock, filters, posting vouchers with
Fortnox's refusals, scopes, licences and revoked integrations."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests

from concurrency_helpers import run_at_once
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import (
    KNOWN_SCOPES,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
)
from sandbox_helpers import REDIRECT_URI, FakeClock

ALL_SCOPES = " ".join(sorted(KNOWN_SCOPES))
MARCH_FIRST = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox(acme, norrsken):
    """For tests that only read; posting tests get a sandbox of their own."""
    with RunningSandbox([acme, norrsken], clock=FakeClock(MARCH_FIRST), rate_limit=False) as running:
        yield running


@pytest.fixture
def own_sandbox(acme):
    with RunningSandbox([acme], clock=FakeClock(MARCH_FIRST), rate_limit=False) as running:
        yield running


def connect(sandbox, organisation_number="556677-8899", scope=ALL_SCOPES) -> dict:
    params = {"client_id": SANDBOX_CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": scope, "state": "s",
              "access_type": "offline", "response_type": "code"}
    redirect = consent(f"{sandbox.base_url}/oauth-v1/auth?{urlencode(params)}", organisation_number)
    code = parse_qs(urlparse(redirect).query)["code"][0]
    answer = refresh_or_redeem(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert answer.status_code == 200, answer.text
    return answer.json()


def refresh_or_redeem(sandbox, **form) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/oauth-v1/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=5)


@pytest.fixture(scope="module")
def token(sandbox) -> str:
    return connect(sandbox)["access_token"]


def get(sandbox, path: str, token: str, **params) -> requests.Response:
    return requests.get(f"{sandbox.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def post_voucher(sandbox, token: str, voucher: dict | str, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if isinstance(voucher, str):
        return requests.post(f"{sandbox.base_url}/3/vouchers", params=params, data=voucher, headers=headers, timeout=10)
    return requests.post(f"{sandbox.base_url}/3/vouchers", params=params, json={"Voucher": voucher}, headers=headers, timeout=10)


def all_pages(sandbox, path: str, token: str, collection: str, **params) -> list[dict]:
    records, page = [], 1
    while True:
        body = get(sandbox, path, token, limit=500, page=page, **params).json()
        records += body[collection]
        if page >= body["MetaInformation"]["@TotalPages"]:
            return records
        page += 1


def paid_by(payments, today: date) -> dict[int, int]:
    paid = defaultdict(int)
    for payment in payments:
        if payment.payment_date <= today:
            paid[payment.invoice_number] += payment.amount_ore
    return paid


def ore(amount) -> int:
    return round(float(amount) * 100)


# --- customer and supplier ledgers ---

def test_invoice_filters_judge_payments_by_the_sandbox_clock(acme):
    # "Today" is the day after the first invoice that was paid late fell due: it is unpaid and overdue.
    due = {i.invoice_number: i.due_date for i in acme.ledger.customer_invoices}
    late = min((p for p in acme.ledger.customer_payments if p.payment_date > due[p.invoice_number] + timedelta(days=1)),
               key=lambda p: due[p.invoice_number])
    today = due[late.invoice_number] + timedelta(days=1)
    paid = paid_by(acme.ledger.customer_payments, today)
    cancelled = {i.invoice_number for i in acme.ledger.customer_invoices if i.cancelled}
    live = [i for i in acme.ledger.customer_invoices if not i.cancelled]
    open_invoices = {i.invoice_number for i in live if paid[i.invoice_number] < i.total_ore}
    overdue = {i.invoice_number for i in live if i.invoice_number in open_invoices and i.due_date < today}
    partly_paid = {number for number in open_invoices if paid[number]}
    assert late.invoice_number in overdue and overdue != open_invoices and cancelled

    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    with RunningSandbox([acme], clock=FakeClock(noon), rate_limit=False) as sandbox:
        token = connect(sandbox)["access_token"]

        def numbers(**params) -> set[int]:
            return {int(i["DocumentNumber"]) for i in all_pages(sandbox, "/3/invoices", token, "Invoices", **params)}

        assert numbers(filter="unpaid") == open_invoices
        assert numbers(filter="unpaidoverdue") == overdue
        assert numbers(filter="fullypaid") == {i.invoice_number for i in live} - open_invoices
        assert numbers(filter="cancelled") == cancelled
        assert numbers(filter="unbooked") == {i.invoice_number for i in live if not i.booked}
        listed = {int(i["DocumentNumber"]): i for i in all_pages(sandbox, "/3/invoices", token, "Invoices")}
    for invoice in live:
        record = listed[invoice.invoice_number]
        assert ore(record["Total"]) == invoice.total_ore
        assert ore(record["Balance"]) == invoice.total_ore - paid[invoice.invoice_number]
        assert (record["FinalPayDate"] is None) == (invoice.invoice_number in open_invoices)
    for number in cancelled:
        assert listed[number]["Cancelled"] and listed[number]["Balance"] == 0 and not listed[number]["Booked"]
    for number in partly_paid:
        assert 0 < ore(listed[number]["Balance"]) < ore(listed[number]["Total"])


def test_an_invoice_unpaid_today_is_paid_once_the_clock_passes_its_payment(acme):
    clock = FakeClock(MARCH_FIRST)
    with RunningSandbox([acme], clock=clock, rate_limit=False) as sandbox:
        token = connect(sandbox)["access_token"]
        payment = next(p for p in acme.ledger.customer_payments if p.payment_date > date(2025, 3, 1))
        before = get(sandbox, f"/3/invoices/{payment.invoice_number}", token).json()["Invoice"]
        assert ore(before["Balance"]) == ore(before["Total"]) and before["FinalPayDate"] is None
        clock.now = datetime(2025, 12, 31, 12, tzinfo=UTC).timestamp()
        token = connect(sandbox)["access_token"]  # the first one expired with the clock's jump
        after = get(sandbox, f"/3/invoices/{payment.invoice_number}", token).json()["Invoice"]
        assert after["Balance"] == 0 and after["FinalPayDate"] == payment.payment_date.isoformat()


def test_invalid_filter_is_fortnox_lowercase_400(sandbox, token):
    for path in ("/3/invoices", "/3/supplierinvoices"):
        answer = get(sandbox, path, token, filter="unpayed")
        assert answer.status_code == 400
        assert answer.json() == {"ErrorInformation": {"error": 1, "message": "Ogiltigt filter.", "code": 2000587}}


def test_single_invoice_has_rows_and_points_at_its_voucher(sandbox, token, acme):
    invoice = next(i for i in acme.ledger.customer_invoices if i.invoice_date >= date(2024, 1, 1))
    listed = get(sandbox, "/3/invoices", token, limit=500).json()["Invoices"]
    assert all("InvoiceRows" not in record for record in listed)
    single = get(sandbox, f"/3/invoices/{invoice.invoice_number}", token).json()["Invoice"]
    ref = acme.ledger.vouchers[("CustomerInvoice", invoice.invoice_number)]
    assert (single["VoucherSeries"], single["VoucherNumber"], single["VoucherYear"]) == (ref.series, ref.number, ref.year_id)
    assert sum(ore(row["Total"]) for row in single["InvoiceRows"]) == invoice.net_ore
    assert single["CustomerName"] == invoice.customer.name
    missing = get(sandbox, "/3/invoices/99999", token)
    assert missing.status_code == 404 and missing.json()["ErrorInformation"]["Code"] == 2000434


def test_supplier_invoices_say_cancel_in_the_list_cancelled_alone_and_amounts_as_strings(sandbox, token, acme):
    today = date(2025, 3, 1)
    paid = paid_by(acme.ledger.supplier_payments, today)
    listed = all_pages(sandbox, "/3/supplierinvoices", token, "SupplierInvoices")
    assert len(listed) == len(acme.ledger.supplier_invoices)
    assert all("Cancel" in record and "Cancelled" not in record for record in listed)
    for invoice, record in zip(acme.ledger.supplier_invoices, listed, strict=True):
        assert isinstance(record["Total"], str) and isinstance(record["Balance"], str)
        assert ore(record["Total"]) == invoice.total_ore and record["Cancel"] == invoice.cancelled
        owed = 0 if invoice.cancelled else invoice.total_ore
        assert ore(record["Balance"]) == owed - paid[invoice.given_number]
    single = get(sandbox, "/3/supplierinvoices/3", token).json()["SupplierInvoice"]
    assert "Cancelled" in single and "Cancel" not in single
    rows = single["SupplierInvoiceRows"]
    assert sum(ore(row["Debit"]) - ore(row["Credit"]) for row in rows) == 0
    unpaid = {int(r["GivenNumber"]) for r in all_pages(sandbox, "/3/supplierinvoices", token, "SupplierInvoices", filter="unpaid")}
    assert unpaid == {
        i.given_number for i in acme.ledger.supplier_invoices if not i.cancelled and paid[i.given_number] < i.total_ore
    }


def test_payments_add_up_to_the_invoices_they_pay(sandbox, token, acme):
    incoming = all_pages(sandbox, "/3/invoicepayments", token, "InvoicePayments")
    assert len(incoming) == len(acme.ledger.customer_payments)
    by_invoice = defaultdict(int)
    for payment in incoming:
        by_invoice[payment["InvoiceNumber"]] += ore(payment["Amount"])
    totals = {i.invoice_number: i.total_ore for i in acme.ledger.customer_invoices}
    assert all(amount == totals[number] for number, amount in by_invoice.items())
    number = incoming[0]["InvoiceNumber"]
    only = get(sandbox, "/3/invoicepayments", token, invoicenumber=number).json()["InvoicePayments"]
    assert {p["InvoiceNumber"] for p in only} == {number}
    single = get(sandbox, f"/3/invoicepayments/{incoming[0]['Number']}", token).json()["InvoicePayment"]
    assert single["InvoiceCustomerName"] and single["VoucherSeries"] == "C"
    outgoing = all_pages(sandbox, "/3/supplierinvoicepayments", token, "SupplierInvoicePayments")
    assert sum(ore(p["Amount"]) for p in outgoing) == sum(p.amount_ore for p in acme.ledger.supplier_payments)


def test_customers_and_suppliers_are_the_ledger_parties(sandbox, token, acme):
    customers = all_pages(sandbox, "/3/customers", token, "Customers")
    assert [(c["CustomerNumber"], c["Name"]) for c in customers] == [(p.number, p.name) for p in acme.ledger.customers]
    assert get(sandbox, "/3/customers/1", token).json()["Customer"]["OrganisationNumber"] == acme.ledger.customers[0].organisation_number
    suppliers = all_pages(sandbox, "/3/suppliers", token, "Suppliers")
    assert [s["Name"] for s in suppliers] == [p.name for p in acme.ledger.suppliers]
    landlord = get(sandbox, "/3/suppliers/1", token).json()["Supplier"]
    assert landlord["PreDefinedAccount"] == "5010"  # rent
    assert get(sandbox, "/3/customers/999", token).json()["ErrorInformation"]["Code"] == 2000433


# --- lists: pages, dates, parameters ---

def test_invoice_pages_cover_the_list_once_and_dates_narrow_it(sandbox, token, acme):
    everything = [i["DocumentNumber"] for i in all_pages(sandbox, "/3/invoices", token, "Invoices")]
    paged = []
    for page in range(1, 100):
        body = get(sandbox, "/3/invoices", token, limit=7, page=page).json()
        paged += [i["DocumentNumber"] for i in body["Invoices"]]
        if page == body["MetaInformation"]["@TotalPages"]:
            break
    assert paged == everything and len(everything) == len(acme.ledger.customer_invoices)
    march = get(sandbox, "/3/invoices", token, fromdate="2024-03-01", todate="2024-03-31").json()["Invoices"]
    assert {i["DocumentNumber"] for i in march} == {
        str(i.invoice_number) for i in acme.ledger.customer_invoices if date(2024, 3, 1) <= i.invoice_date <= date(2024, 3, 31)
    }
    vouchers = get(sandbox, "/3/vouchers", token, financialyear=1, fromdate="2024-06-01", todate="2024-06-30", limit=500).json()
    june = {(v["VoucherSeries"], v["VoucherNumber"]) for v in acme.vouchers[1] if "2024-06-01" <= v["TransactionDate"] <= "2024-06-30"}
    assert june and {(v["VoucherSeries"], v["VoucherNumber"]) for v in vouchers["Vouchers"]} == june


@pytest.mark.parametrize("params", [
    {"limit": 501}, {"limit": 0}, {"page": "x"}, {"offset": -1}, {"financialyear": 77}, {"fromdate": "2024-13-01"},
    {"lastmodified": "igår"},
])
def test_invalid_parameters_are_lowercase_400(sandbox, token, params):
    answer = get(sandbox, "/3/vouchers", token, **params)
    assert answer.status_code == 400, answer.text
    info = answer.json()["ErrorInformation"]
    assert set(info) == {"error", "message", "code"} and info["code"] in (2000587, 2000588)


def test_parameter_names_are_read_in_any_case(sandbox, token):
    lower = get(sandbox, "/3/vouchers", token, financialyear=1, limit=3).json()
    camel = get(sandbox, "/3/vouchers", token, financialYear=1, Limit=3).json()
    assert camel == lower and {v["Year"] for v in camel["Vouchers"]} == {1}


def test_no_sandbox_internal_key_reaches_an_answer(own_sandbox):
    token = connect(own_sandbox)["access_token"]
    posted = post_voucher(own_sandbox, token, balanced_voucher()).json()["Voucher"]
    answers = [
        posted,
        get(own_sandbox, posted["@url"].removeprefix(own_sandbox.base_url).split("?")[0], token, financialyear=2).json(),
        get(own_sandbox, "/3/vouchers", token, financialyear=2, limit=500).json(),
        get(own_sandbox, "/3/accounts", token, financialyear=2, limit=500).json(),
        get(own_sandbox, "/3/invoices", token, limit=500).json(),
        get(own_sandbox, "/3/companyinformation", token).json(),
    ]

    def internal_keys(value) -> list[str]:
        if isinstance(value, dict):
            return [k for k in value if k.startswith("_")] + [k for v in value.values() for k in internal_keys(v)]
        if isinstance(value, list):
            return [k for v in value for k in internal_keys(v)]
        return []

    assert [internal_keys(answer) for answer in answers] == [[]] * len(answers)


# --- settings and the caller ---

def test_me_and_locked_period_follow_the_state(sandbox, token):
    me = get(sandbox, "/3/me", token).json()["MeInformation"]
    assert me["Id"] and me["Email"] and isinstance(me["SysAdmin"], bool)
    assert get(sandbox, "/3/settings/lockedperiod", token).json() == {"LockedPeriod": {"EndDate": None}}
    sandbox.state.set_locked_period(1001, date(2025, 1, 31))
    try:
        assert get(sandbox, "/3/settings/lockedperiod", token).json() == {"LockedPeriod": {"EndDate": "2025-01-31"}}
        other = connect(sandbox, "559123-4561")["access_token"]
        assert get(sandbox, "/3/settings/lockedperiod", other).json()["LockedPeriod"]["EndDate"] is None
    finally:
        sandbox.state.set_locked_period(1001, None)


@pytest.mark.parametrize(("scope", "path"), [
    ("invoice", "/3/invoices"), ("supplierinvoice", "/3/supplierinvoices"), ("payment", "/3/invoicepayments"),
    ("payment", "/3/supplierinvoicepayments"), ("customer", "/3/customers"), ("supplier", "/3/suppliers"),
    ("settings", "/3/settings/lockedperiod"), ("profile", "/3/me"), ("bookkeeping", "/3/sie/4"),
    ("costcenter", "/3/costcenters"), ("project", "/3/projects"), ("companyinformation", "/3/companyinformation"),
])
def test_each_route_wants_its_scope(sandbox, scope, path):
    without = connect(sandbox, scope=" ".join(sorted(KNOWN_SCOPES - {scope})))["access_token"]
    refused = get(sandbox, path, without)
    assert refused.status_code == 403
    assert refused.json() == {"ErrorInformation": {"error": 1, "message": "Har inte behörighet för scope.", "code": 2000663}}
    assert get(sandbox, path, connect(sandbox, scope=scope)["access_token"]).status_code == 200


def test_withdrawn_licence_refuses_its_scope_only_for_that_company(acme, norrsken):
    with RunningSandbox([acme, norrsken], clock=FakeClock(MARCH_FIRST), rate_limit=False) as sandbox:
        token, other = connect(sandbox)["access_token"], connect(sandbox, "559123-4561")["access_token"]
        sandbox.state.withdraw_licence(1001, "invoice")
        refused = get(sandbox, "/3/invoices", token)
        assert refused.status_code == 403 and refused.json()["ErrorInformation"]["code"] == 2001101
        assert "licens" in refused.json()["ErrorInformation"]["message"]
        assert get(sandbox, "/3/vouchers", token).status_code == 200
        assert get(sandbox, "/3/invoices", other).status_code == 200
        with pytest.raises(ValueError, match="unknown scope"):
            sandbox.state.withdraw_licence(1001, "invoices")


def test_a_revoked_integration_loses_every_refresh_token_of_that_tenant(acme, norrsken):
    with RunningSandbox([acme, norrsken], clock=FakeClock(MARCH_FIRST), rate_limit=False) as sandbox:
        first, second, other = connect(sandbox), connect(sandbox), connect(sandbox, "559123-4561")
        sandbox.state.revoke_refresh_tokens(1001)
        for tokens in (first, second):
            answer = refresh_or_redeem(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
        assert refresh_or_redeem(sandbox, grant_type="refresh_token", refresh_token=other["refresh_token"]).status_code == 200


# --- posting vouchers ---

def balanced_voucher(**overrides) -> dict:
    return {
        "VoucherSeries": "A",
        "TransactionDate": "2025-02-28",
        "Description": "Periodisering av hyra",
        "VoucherRows": [
            {"Account": 1710, "Debit": 12500.5, "Credit": 0, "TransactionInformation": "Hyra mars", "CostCenter": "100"},
            {"Account": 5010, "Debit": 0, "Credit": 12500.5, "Project": "1001"},
        ],
        **overrides,
    }


def test_a_posted_voucher_gets_the_next_number_and_shows_everywhere(own_sandbox, acme):
    sandbox = own_sandbox
    token = connect(sandbox)["access_token"]
    next_number = 1 + max(v["VoucherNumber"] for v in acme.vouchers[2] if v["VoucherSeries"] == "A")
    bank_before = get(sandbox, "/3/accounts/1710", token, financialyear=2).json()["Account"]

    answer = post_voucher(sandbox, token, balanced_voucher(), financialyear=2)
    assert answer.status_code == 201, answer.text
    voucher = answer.json()["Voucher"]
    assert (voucher["VoucherSeries"], voucher["VoucherNumber"], voucher["Year"]) == ("A", next_number, 2)
    assert [(r["Account"], r["Debit"], r["Credit"], r["Removed"]) for r in voucher["VoucherRows"]] == [
        (1710, 12500.5, 0, False), (5010, 0, 12500.5, False)]
    assert voucher["VoucherRows"][0]["TransactionInformation"] == "Hyra mars"

    single = get(sandbox, f"/3/vouchers/A/{next_number}", token, financialyear=2).json()["Voucher"]
    assert single == voucher
    listed = get(sandbox, "/3/vouchers/sublist/A", token, financialyear=2, limit=500).json()["Vouchers"]
    # A list entry carries what recorded Fortnox list entries carry; the text is only in the single voucher.
    assert listed[-1]["VoucherNumber"] == next_number and "Description" not in listed[-1]
    bank_after = get(sandbox, "/3/accounts/1710", token, financialyear=2).json()["Account"]
    assert ore(bank_after["BalanceCarriedForward"]) == ore(bank_before["BalanceCarriedForward"]) + 1250050
    assert bank_after["BalanceBroughtForward"] == bank_before["BalanceBroughtForward"]

    sie = get(sandbox, "/3/sie/4", token, financialyear=2)
    assert sie.status_code == 200 and sie.headers["content-type"] == "text/plain; charset=cp437"
    text = sie.content.decode("cp437")
    assert f'#VER A {next_number} 20250228 "Periodisering av hyra" 20250301' in text
    assert '#TRANS 1710 {1 "100"} 12500.50' in text
    assert acme.vouchers[2] != sandbox.state.companies[1001].vouchers[2]  # the caller's books stay as generated


def test_lastmodified_finds_what_was_posted_after_it(acme):
    clock = FakeClock(MARCH_FIRST)
    with RunningSandbox([acme], clock=clock, rate_limit=False) as sandbox:
        clock.now = datetime(2025, 3, 3, 9, 30, tzinfo=UTC).timestamp()  # 10:30 in Stockholm
        token = connect(sandbox)["access_token"]
        posted = post_voucher(sandbox, token, balanced_voucher()).json()["Voucher"]
        after = get(sandbox, "/3/vouchers", token, financialyear=2, lastmodified="2025-03-03 10:30", limit=500).json()["Vouchers"]
        assert (posted["VoucherSeries"], posted["VoucherNumber"]) in {(v["VoucherSeries"], v["VoucherNumber"]) for v in after}
        later = get(sandbox, "/3/vouchers", token, financialyear=2, lastmodified="2025-03-03 10:31", limit=500).json()["Vouchers"]
        assert (posted["VoucherSeries"], posted["VoucherNumber"]) not in {(v["VoucherSeries"], v["VoucherNumber"]) for v in later}


def test_lastmodified_narrows_ledgers_and_vouchers_to_what_changed(sandbox, token, acme):
    since = datetime(2025, 1, 15, 12, 0)
    changed = {str(i.invoice_number) for i in acme.ledger.customer_invoices if i.modified is None or i.modified >= since}
    invoices = {i["DocumentNumber"] for i in all_pages(sandbox, "/3/invoices", token, "Invoices", lastmodified="2025-01-15 12:00")}
    assert invoices == changed and 0 < len(invoices) < len(acme.ledger.customer_invoices)
    paid = {p["Number"] for p in all_pages(sandbox, "/3/invoicepayments", token, "InvoicePayments", lastmodified="2025-01-15 12:00")}
    assert paid == {str(p.number) for p in acme.ledger.customer_payments if p.modified is None or p.modified >= since}
    vouchers = all_pages(sandbox, "/3/vouchers", token, "Vouchers", financialyear=2, lastmodified="2025-01-15 12:00")
    expected = [(v["VoucherSeries"], v["VoucherNumber"]) for v in acme.vouchers[2] if v["_modified"] >= "2025-01-15 12:00"]
    assert [(v["VoucherSeries"], v["VoucherNumber"]) for v in vouchers] == expected
    assert 0 < len(expected) < len(acme.vouchers[2])


def rows(*pairs) -> list[dict]:
    return [{"Account": account, "Debit": max(amount, 0), "Credit": max(-amount, 0)} for account, amount in pairs]


@pytest.mark.parametrize(("voucher", "code", "message"), [
    (balanced_voucher(VoucherRows=rows((1930, 100))), 2001897, "minst två rader"),
    (balanced_voucher(VoucherRows=rows((1930, 100), (3001, -99.99))), 2001392, "inte i balans"),
    (balanced_voucher(VoucherRows=rows((1930, 100), (9999, -100))), 2001304, "Kunde inte hitta konto"),
    (balanced_voucher(VoucherRows=rows((1910, 100), (3001, -100))), 2001304, "inte aktivt"),
    (balanced_voucher(TransactionDate="2030-01-15"), 2001392, "inget räkenskapsår"),
    (balanced_voucher(VoucherSeries="B"), 2001392, "inte manuell"),
    (balanced_voucher(VoucherSeries="Q"), 2001392, "finns inte"),
    (balanced_voucher(Description="  "), 2001392, "beskrivning"),
    (balanced_voucher(TransactionDate="2025-02-30"), 2001392, "datum"),
    (balanced_voucher(VoucherRows=[{"Account": 1930, "Debit": "tio"}, {"Account": 3001, "Credit": 10}]), 2000108, "numeriskt"),
    (balanced_voucher(VoucherRows=[{**rows((1930, 5))[0], "CostCenter": "999"}, *rows((3001, -5))]), 2001392, "Kostnadsstället"),
    ('{"Voucher": {"VoucherSeries": "A",', 2002115, "JSON_ERROR_SYNTAX"),
    ('{"Verifikation": {}}', 2001392, "felaktig typ av data"),
])
def test_posting_refuses_what_fortnox_refuses(sandbox, token, acme, voucher, code, message):
    answer = post_voucher(sandbox, token, voucher)
    assert answer.status_code == 400, answer.text
    info = answer.json()["ErrorInformation"]
    assert set(info) == {"error", "message", "code"}
    assert info["code"] == code and message in info["message"]
    listed = get(sandbox, "/3/vouchers", token, financialyear=2, limit=1).json()
    assert listed["MetaInformation"]["@TotalResources"] == len(acme.vouchers[2])  # nothing was booked


def test_posting_into_the_locked_period_or_outside_the_requested_year_is_refused(own_sandbox):
    token = connect(own_sandbox)["access_token"]
    own_sandbox.state.set_locked_period(1001, date(2025, 2, 28))
    locked = post_voucher(own_sandbox, token, balanced_voucher()).json()["ErrorInformation"]
    assert locked["code"] == 2000401 and locked["message"].endswith("har låst perioden t.o.m. 2025-02-28.")
    assert post_voucher(own_sandbox, token, balanced_voucher(TransactionDate="2025-03-03")).status_code == 201
    wrong_year = post_voucher(own_sandbox, token, balanced_voucher(TransactionDate="2025-03-03"), financialyear=1)
    assert wrong_year.status_code == 400 and "utanför räkenskapsår 1" in wrong_year.json()["ErrorInformation"]["message"]


def test_concurrent_posts_never_share_a_number(own_sandbox, acme):
    token = connect(own_sandbox)["access_token"]
    first = 1 + max(v["VoucherNumber"] for v in acme.vouchers[2] if v["VoucherSeries"] == "A")
    answers, errors = run_at_once(lambda: post_voucher(own_sandbox, token, balanced_voucher()), 16)
    assert errors == []
    assert sorted(answer.json()["Voucher"]["VoucherNumber"] for answer in answers) == list(range(first, first + 16))


def test_sie_types_and_refusals(sandbox, token):
    for sie_type in (1, 2, 3, 4):
        answer = get(sandbox, f"/3/sie/{sie_type}", token, financialyear=1)
        assert answer.status_code == 200
        assert f"#SIETYP {sie_type}" in answer.content.decode("cp437")
    assert "#VER" not in get(sandbox, "/3/sie/3", token, financialyear=1).content.decode("cp437")
    assert get(sandbox, "/3/sie/5", token, financialyear=1).json()["ErrorInformation"]["code"] == 2000588
    assert get(sandbox, "/3/sie/4", token, financialyear=9).status_code == 400
