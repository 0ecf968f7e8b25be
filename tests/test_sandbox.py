"""The sandbox: generated books that add up, and a Fortnox imitation spoken to over real HTTP."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests

from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.sandbox.server import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from sandbox_helpers import ACME, NORRSKEN, REDIRECT_URI, FakeClock



def served(company) -> str:
    return json.dumps(
        [company.company_information, company.financial_years, company.accounts, company.voucher_series, company.vouchers],
        ensure_ascii=False,
        sort_keys=True,
    )


def ore(amount: float) -> int:
    return round(amount * 100)


def row_total(rows) -> int:
    """Debit minus credit in öre, over the rows that count (not Removed)."""
    return sum(ore(row["Debit"]) - ore(row["Credit"]) for row in rows if not row["Removed"])


@pytest.fixture(scope="module")
def clock():
    return FakeClock(datetime(2025, 3, 1, 12, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def sandbox(acme, norrsken, clock):
    with RunningSandbox([acme, norrsken], clock=clock) as running:
        yield running


def authorize_url(sandbox, scope="bookkeeping companyinformation", **overrides) -> str:
    params = {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "state-123",
        "access_type": "offline",
        "response_type": "code",
        **overrides,
    }
    return f"{sandbox.base_url}/oauth-v1/auth?{urlencode(params)}"


def token_request(sandbox, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), **form) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/oauth-v1/token", data=form, auth=auth, timeout=5)


def connect(sandbox, organisation_number="556677-8899", scope="bookkeeping companyinformation") -> dict:
    redirect = consent(authorize_url(sandbox, scope), organisation_number)
    code = parse_qs(urlparse(redirect).query)["code"][0]
    answer = token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def acme_token(sandbox) -> str:
    return connect(sandbox)["access_token"]


def get(sandbox, path: str, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{sandbox.base_url}{path}", params=params, headers=headers, timeout=5)


# --- generated books ---

def test_same_spec_gives_identical_json_and_another_seed_other_books(acme):
    assert served(generate_company(ACME)) == served(acme)
    other = generate_company(CompanySpec(**{**ACME.__dict__, "seed": 2}))
    assert served(other) != served(acme)


def test_a_small_company_year_looks_like_one(acme):
    for year_id, vouchers in acme.vouchers.items():
        assert 180 <= len(vouchers) <= 260
        assert {voucher["VoucherSeries"] for voucher in vouchers} == {"A", "B", "C", "D", "E"}
        assert 60 <= len(acme.accounts[year_id]) <= 100
    rows = [row for voucher in acme.vouchers[1] for row in voucher["VoucherRows"]]
    used = {row["Account"] for row in rows}
    assert {1510, 3001, 2611, 1930, 2440, 2641, 7010, 7510, 2710, 2731, 6570, 5010} <= used
    assert any(row["CostCenter"] for row in rows) and any(row["Project"] for row in rows)
    names = {account["Number"]: account["Description"] for account in acme.accounts[1]}
    assert names[2440] == "Leverantörsskulder"
    assert names[7210] == "Löner till tjänstemän"
    assert names[2611].startswith("Utgående moms")
    assert "Företagskonto" in names[1930]


def test_every_voucher_balances_on_its_rows_that_count(acme, norrsken):
    removed = 0
    for company in (acme, norrsken):
        for vouchers in company.vouchers.values():
            for voucher in vouchers:
                assert len(voucher["VoucherRows"]) >= 2
                assert row_total(voucher["VoucherRows"]) == 0, voucher
                for row in voucher["VoucherRows"]:
                    for amount in (row["Debit"], row["Credit"]):
                        assert amount >= 0 and round(amount, 2) == amount
                removed += sum(row["Removed"] for row in voucher["VoucherRows"])
    assert removed >= 4  # corrections exist, and counting them would unbalance their vouchers
    corrected = next(v for v in acme.vouchers[1] if any(r["Removed"] for r in v["VoucherRows"]))
    assert sum(ore(r["Debit"]) - ore(r["Credit"]) for r in corrected["VoucherRows"]) != 0


def test_voucher_numbers_run_from_one_per_series_with_ascending_dates_inside_the_year(norrsken):
    for year in norrsken.financial_years:
        by_series = defaultdict(list)
        for voucher in norrsken.vouchers[year["Id"]]:
            assert voucher["Year"] == year["Id"]
            assert year["FromDate"] <= voucher["TransactionDate"] <= year["ToDate"]
            by_series[voucher["VoucherSeries"]].append(voucher)
        for vouchers in by_series.values():
            vouchers.sort(key=lambda voucher: voucher["VoucherNumber"])
            assert [voucher["VoucherNumber"] for voucher in vouchers] == list(range(1, len(vouchers) + 1))
            dates = [voucher["TransactionDate"] for voucher in vouchers]
            assert dates == sorted(dates)


def test_broken_fiscal_years_run_july_to_june(norrsken):
    assert [(year["Id"], year["FromDate"], year["ToDate"]) for year in norrsken.financial_years] == [
        (1, "2024-07-01", "2025-06-30"),
        (2, "2025-07-01", "2026-06-30"),
    ]
    assert all(year["AccountChartType"] == "BAS 2024" and year["AccountingMethod"] == "ACCRUAL" for year in norrsken.financial_years)


@pytest.mark.parametrize("spec", [ACME, NORRSKEN, CompanySpec(1003, "556000-0001", "Tre År AB", 5, 2023, 3, seed=7)])
def test_balances_carry_over_and_add_up(spec):
    company = generate_company(spec)
    previous = None
    for year in company.financial_years:
        accounts = {account["Number"]: account for account in company.accounts[year["Id"]]}
        movement = defaultdict(int)
        for voucher in company.vouchers[year["Id"]]:
            for row in voucher["VoucherRows"]:
                if not row["Removed"]:
                    movement[row["Account"]] += ore(row["Debit"]) - ore(row["Credit"])
        assert set(movement) <= set(accounts), "every booked account is in the chart"
        assert sum(ore(account["BalanceBroughtForward"]) for account in accounts.values()) == 0
        for number, account in accounts.items():
            assert ore(account["BalanceCarriedForward"]) == ore(account["BalanceBroughtForward"]) + movement[number]
            if number >= 3000:
                assert account["BalanceBroughtForward"] == 0
            elif previous is not None:
                assert account["BalanceBroughtForward"] == previous[number]["BalanceCarriedForward"]
        previous = accounts
    first = {account["Number"]: account for account in company.accounts[1]}
    assert first[1930]["BalanceBroughtForward"] > 0 and first[2081]["BalanceBroughtForward"] < 0


def test_unknown_size_is_refused_by_name():
    with pytest.raises(ValueError, match="known sizes: S"):
        generate_company(CompanySpec(1, "556677-8899", "X AB", size="XXL"))


def test_invoice_events_point_at_their_vouchers(acme):
    invoice = next(i for i in acme.ledger.customer_invoices if i.invoice_date >= date(2024, 1, 1))
    ref = acme.ledger.vouchers[("CustomerInvoice", invoice.invoice_number)]
    voucher = next(v for v in acme.vouchers[ref.year_id] if (v["VoucherSeries"], v["VoucherNumber"]) == (ref.series, ref.number))
    assert voucher["ReferenceNumber"] == str(invoice.invoice_number)
    receivable = next(row for row in voucher["VoucherRows"] if row["Account"] == 1510)
    assert ore(receivable["Debit"]) == invoice.total_ore


# --- OAuth over HTTP ---

def test_oauth_flow_with_single_use_code_and_rotating_refresh_tokens(sandbox):
    redirect = consent(authorize_url(sandbox), "559123-4561")
    query = parse_qs(urlparse(redirect).query)
    assert redirect.startswith(REDIRECT_URI + "?") and query["state"] == ["state-123"]
    code = query["code"][0]

    first = token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert tokens["expires_in"] == 3600 and tokens["token_type"] == "bearer"
    assert tokens["scope"] == "bookkeeping companyinformation"
    company = get(sandbox, "/3/companyinformation", tokens["access_token"]).json()["CompanyInformation"]
    assert company["DatabaseNumber"] == 1002 and company["OrganizationNumber"] == "559123-4561"

    again = token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    rotated = token_request(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    stale = token_request(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert stale.status_code == 400
    assert stale.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    assert get(sandbox, "/3/financialyears", rotated.json()["access_token"]).status_code == 200

    issued = sandbox.state.issued_secrets()
    assert {code, tokens["access_token"], tokens["refresh_token"], rotated.json()["refresh_token"]} <= issued


def test_token_endpoint_wants_the_client_credentials(sandbox):
    tokens = connect(sandbox)
    for auth in [(SANDBOX_CLIENT_ID, "wrong"), ("someone-else", SANDBOX_CLIENT_SECRET), None]:
        answer = token_request(sandbox, auth=auth, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    # A refused attempt does not use up the refresh token.
    assert token_request(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 200


def test_code_is_bound_to_its_redirect_uri(sandbox):
    redirect = consent(authorize_url(sandbox), "556677-8899")
    code = parse_qs(urlparse(redirect).query)["code"][0]
    answer = token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri="http://evil.example/cb")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_authorize_page_refuses_bad_requests_clearly(sandbox):
    for overrides in [{"client_id": "unknown"}, {"response_type": "token"}, {"scope": "everything"}]:
        answer = requests.get(authorize_url(sandbox, **overrides), timeout=5)
        assert answer.status_code == 400
    assert "client_id" in requests.get(authorize_url(sandbox, client_id="unknown"), timeout=5).text


def test_consent_names_the_companies_on_offer_when_the_number_is_missing(sandbox):
    with pytest.raises(ValueError, match="556677-8899, 559123-4561"):
        consent(authorize_url(sandbox), "556000-0000")


def test_service_account_gets_tokens_by_client_credentials_only_after_consent(sandbox):
    consent(authorize_url(sandbox, account_type="service"), "559123-4561")
    answer = requests.post(
        f"{sandbox.base_url}/oauth-v1/token", data={"grant_type": "client_credentials"},
        headers={"TenantId": "1002"}, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=5,
    )
    assert answer.status_code == 200 and "refresh_token" not in answer.json()
    assert get(sandbox, "/3/companyinformation", answer.json()["access_token"]).json()["CompanyInformation"]["DatabaseNumber"] == 1002
    other = requests.post(
        f"{sandbox.base_url}/oauth-v1/token", data={"grant_type": "client_credentials"},
        headers={"TenantId": "1001"}, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=5,
    )
    assert other.status_code == 400


def test_revoked_refresh_token_is_dead(sandbox):
    tokens = connect(sandbox)
    answer = requests.post(
        f"{sandbox.base_url}/oauth-v1/revoke", data={"token_type_hint": "refresh_token", "token": tokens["refresh_token"]},
        auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=5,
    )
    assert answer.json() == {"revoked": True}
    assert token_request(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 400


# --- the API over HTTP ---

def test_access_token_expires_after_an_hour_of_the_injected_clock(acme):
    clock = FakeClock(datetime(2025, 3, 1, 12, tzinfo=timezone.utc))
    with RunningSandbox([acme], clock=clock) as sandbox:
        token = connect(sandbox)["access_token"]
        assert get(sandbox, "/3/companyinformation", token).status_code == 200
        clock.now += 3600
        expired = get(sandbox, "/3/companyinformation", token)
        assert expired.status_code == 401 and expired.json() == {"message": "unauthorized"}


def test_missing_or_forged_token_is_unauthorized(sandbox, acme_token):
    for token in [None, "not-a-jwt", acme_token[:-4] + "AAAA"]:
        answer = get(sandbox, "/3/vouchers", token)
        assert answer.status_code == 401 and answer.json() == {"message": "unauthorized"}


def test_missing_scope_is_forbidden_with_fortnox_code(sandbox):
    token = connect(sandbox, scope="companyinformation")["access_token"]
    answer = get(sandbox, "/3/vouchers", token)
    assert answer.status_code == 403
    assert answer.json()["ErrorInformation"]["code"] == 2000663


def test_pages_cover_the_list_exactly_once(sandbox, acme, acme_token):
    expected = [(v["VoucherSeries"], v["VoucherNumber"]) for v in acme.vouchers[1]]
    first = get(sandbox, "/3/vouchers", acme_token, financialyear=1, limit=50).json()
    meta = first["MetaInformation"]
    assert meta == {"@TotalResources": len(expected), "@TotalPages": -(-len(expected) // 50), "@CurrentPage": 1}
    seen = []
    for page in range(1, meta["@TotalPages"] + 1):
        answer = get(sandbox, "/3/vouchers", acme_token, financialyear=1, limit=50, page=page).json()
        assert answer["MetaInformation"]["@CurrentPage"] == page
        seen += [(v["VoucherSeries"], v["VoucherNumber"]) for v in answer["Vouchers"]]
    assert seen == expected
    default = get(sandbox, "/3/vouchers", acme_token, financialyear=1).json()
    assert len(default["Vouchers"]) == 100
    shifted = get(sandbox, "/3/vouchers", acme_token, financialyear=1, limit=10, offset=5).json()
    assert [(v["VoucherSeries"], v["VoucherNumber"]) for v in shifted["Vouchers"]] == expected[5:15]


def test_limit_above_500_is_a_lowercase_400(sandbox, acme_token):
    answer = get(sandbox, "/3/vouchers", acme_token, limit=501)
    assert answer.status_code == 400
    assert answer.json()["ErrorInformation"]["code"] == 2000588
    assert set(answer.json()["ErrorInformation"]) == {"error", "message", "code"}
    assert get(sandbox, "/3/vouchers", acme_token, limit=500).status_code == 200


def test_voucher_list_has_no_rows_and_the_single_voucher_has_them(sandbox, acme, acme_token):
    listed = get(sandbox, "/3/vouchers", acme_token, financialyear=2, limit=5).json()["Vouchers"]
    assert all("VoucherRows" not in voucher for voucher in listed)
    # What 540 recorded list entries of real Fortnox carry: no Comments, Description, TransactionDate, ApprovalState.
    assert set(listed[0]) == {"@url", "ReferenceNumber", "ReferenceType", "VoucherNumber", "VoucherSeries", "Year"}
    single = requests.get(listed[0]["@url"], headers={"Authorization": f"Bearer {acme_token}"}, timeout=5)
    voucher = single.json()["Voucher"]
    assert voucher["@url"] == listed[0]["@url"] == f"{sandbox.base_url}/3/vouchers/A/1?financialyear=2"
    assert voucher["VoucherRows"] == acme.vouchers[2][0]["VoucherRows"]


def test_not_found_uses_pascal_case_and_unknown_routes_their_own_code(sandbox, acme_token):
    missing = get(sandbox, "/3/vouchers/B/9999", acme_token, financialyear=1)
    assert missing.status_code == 404
    assert missing.json() == {"ErrorInformation": {"Error": 1, "Message": "Kan inte hitta verifikationen.", "Code": 2000434}}
    assert get(sandbox, "/3/accounts/1111", acme_token, financialyear=1).json()["ErrorInformation"]["Code"] == 2000423
    route = get(sandbox, "/3/nosuchthing", acme_token)
    assert route.status_code == 404 and route.json()["ErrorInformation"]["Code"] == 2000762


def test_the_accounts_list_has_no_balances_and_the_single_account_has_both(sandbox, acme, acme_token):
    listed = get(sandbox, "/3/accounts", acme_token, financialyear=2, limit=500).json()
    assert listed["MetaInformation"]["@TotalResources"] == len(acme.accounts[2])
    bank = next(account for account in listed["Accounts"] if account["Number"] == 1930)
    # What 1,222 recorded list entries of real Fortnox carry.
    assert set(bank) == {"@url", "Active", "Description", "Number", "SRU", "Year"}
    single = get(sandbox, "/3/accounts/1930", acme_token, financialyear=2).json()["Account"]
    expected = next(account for account in acme.accounts[2] if account["Number"] == 1930)
    assert single["BalanceBroughtForward"] == expected["BalanceBroughtForward"]
    assert single["BalanceCarriedForward"] == expected["BalanceCarriedForward"]


def test_financial_years_and_the_default_year_follow_the_clock(sandbox, acme_token):
    years = get(sandbox, "/3/financialyears", acme_token).json()
    assert [year["Id"] for year in years["FinancialYears"]] == [1, 2]
    assert years["FinancialYears"][0]["@url"] == f"{sandbox.base_url}/3/financialyears/1"
    on = get(sandbox, "/3/financialyears", acme_token, date="2024-06-30").json()["FinancialYears"]
    assert [year["Id"] for year in on] == [1]
    assert get(sandbox, "/3/financialyears/2", acme_token).json()["FinancialYear"]["FromDate"] == "2025-01-01"
    # The injected clock says 2025-03-01: year 2 is the current one.
    assert {account["Year"] for account in get(sandbox, "/3/accounts", acme_token).json()["Accounts"]} == {2}
    assert get(sandbox, "/3/vouchers", acme_token, financialyear=9).status_code == 400


def test_requests_are_counted_per_tenant_and_path(sandbox):
    token = connect(sandbox, organisation_number="559123-4561")["access_token"]
    before = sandbox.state.request_count(1002, "/3/vouchers")
    for _ in range(3):
        get(sandbox, "/3/vouchers", token, limit=1)
    get(sandbox, "/3/vouchers/A/1", token)
    get(sandbox, "/3/financialyears", token)
    assert sandbox.state.request_count(1002, "/3/vouchers") == before + 4
    assert sandbox.state.request_count(1002, "/3/financialyears") >= 1
    assert sandbox.state.request_count(1002) >= sandbox.state.request_count(1002, "/3/")
