"""/3 routes of the bookkeeping module and the company: years, accounts, series, dimensions, SIE, settings."""
from __future__ import annotations

import fastapi
from fastapi import Request, Response

from fortnox_etl.sandbox import sie_export
from fortnox_etl.sandbox.api_common import (
    CODE_ACCOUNT_NOT_FOUND,
    Caller,
    FortnoxError,
    base_url,
    date_param,
    int_param,
    last_modified_param,
    list_fields,
    modified_since,
    page,
    public,
    requires,
    year_of,
)
from fortnox_etl.sandbox.generator import Company

# The list answers carry fewer fields than the single records, as Fortnox's do: recorded account
# list entries (1,222 of them) have only these; the single account also has the balances and VATCode.
ACCOUNT_LIST_FIELDS = ("Active", "Description", "Number", "SRU", "Year")
# The OpenAPI file's AccountListItem: served only with lenient lists.
ACCOUNT_DOCUMENTED_LIST_FIELDS = ACCOUNT_LIST_FIELDS + (
    "BalanceBroughtForward", "CostCenter", "CostCenterSettings", "Project", "ProjectSettings", "VATCode")
# Recorded financial year list entries: AccountingMethod in some, never AccountChartType (the single year has it).
FINANCIAL_YEAR_LIST_FIELDS = ("Id", "FromDate", "ToDate", "AccountingMethod")
PROJECT_LIST_FIELDS = ("Description", "EndDate", "ProjectLeader", "ProjectNumber", "StartDate", "Status")
SIE_TYPES = (1, 2, 3, 4)
# Fortnox writes SIE in PC8 (IBM codepage 437); the header says so, though clients must still detect it.
SIE_CONTENT_TYPE = "text/plain; charset=cp437"


def financial_year_param(request: Request, company: Company, state) -> int:
    """The `financialyear` asked for; without it the year containing today, else the latest."""
    if request.query_params.get("financialyear") is None:
        today = state.today().isoformat()
        current = [year["Id"] for year in company.financial_years if year["FromDate"] <= today <= year["ToDate"]]
        return current[0] if current else company.financial_years[-1]["Id"]
    year_id = int_param(request, "financialyear", 0)
    year_of(company, year_id)
    return year_id


def add_routes(app: fastapi.FastAPI, state) -> None:
    companyinformation_scope = requires(state, "companyinformation")
    costcenter_scope = requires(state, "costcenter")
    profile_scope = requires(state, "profile")
    project_scope = requires(state, "project")
    settings_scope = requires(state, "settings")
    bookkeeping = requires(state, "bookkeeping")

    @app.get("/3/companyinformation")
    def company_information(caller: Caller = companyinformation_scope):
        return {"CompanyInformation": public(caller.company.company_information)}

    @app.get("/3/me")
    def me(caller: Caller = profile_scope):
        # The user who approved the integration; the generated companies have one administrator each.
        tenant_id = caller.company.spec.tenant_id
        return {"MeInformation": {
            "Email": f"ekonomi.{tenant_id}@example.se",
            "Id": f"{tenant_id}-1",
            "Locale": "sv_SE",
            "Name": "Ekonomiansvarig",
            "SysAdmin": True,
        }}

    @app.get("/3/settings/lockedperiod")
    def locked_period(caller: Caller = settings_scope):
        end_date = state.locked_period(caller.company.spec.tenant_id)
        return {"LockedPeriod": {"EndDate": end_date.isoformat() if end_date else None}}

    @app.get("/3/financialyears")
    def financial_years(request: Request, caller: Caller = bookkeeping):
        years = caller.company.financial_years
        on = date_param(request, "date")
        if on:
            years = [year for year in years if year["FromDate"] <= on.isoformat() <= year["ToDate"]]
        base = base_url(request)
        fields = list_fields(state, FINANCIAL_YEAR_LIST_FIELDS, tuple(years[0]) if years else ())
        return page(request, "FinancialYears", [
            {"@url": f"{base}/3/financialyears/{year['Id']}", **{name: year[name] for name in fields if name in year}}
            for year in years])

    @app.get("/3/financialyears/{year_id}")
    def financial_year(request: Request, year_id: int, caller: Caller = bookkeeping):
        year = year_of(caller.company, year_id)
        return {"FinancialYear": {"@url": f"{base_url(request)}/3/financialyears/{year_id}", **public(year)}}

    @app.get("/3/accounts")
    def accounts(request: Request, caller: Caller = bookkeeping):
        year_id = financial_year_param(request, caller.company, state)
        since = last_modified_param(request)
        base = base_url(request)
        fields = list_fields(state, ACCOUNT_LIST_FIELDS, ACCOUNT_DOCUMENTED_LIST_FIELDS)
        with state.books_lock:
            chart = [dict(account) for account in caller.company.accounts[year_id]]
        return page(request, "Accounts", [account for account in chart if modified_since(account.get("_modified"), since)],
                    lambda account: {"@url": f"{base}/3/accounts/{account['Number']}?financialyear={year_id}",
                                     **{name: account[name] for name in fields}})

    @app.get("/3/accounts/{number}")
    def account(request: Request, number: int, caller: Caller = bookkeeping):
        year_id = financial_year_param(request, caller.company, state)
        with state.books_lock:
            found = next((dict(a) for a in caller.company.accounts[year_id] if a["Number"] == number), None)
        if found is None:
            raise FortnoxError.not_found("Kan inte hitta kontot.", CODE_ACCOUNT_NOT_FOUND)
        return {"Account": {"@url": f"{base_url(request)}/3/accounts/{number}?financialyear={year_id}", **public(found)}}

    @app.get("/3/voucherseries")
    def voucher_series(request: Request, caller: Caller = bookkeeping):
        year_id = financial_year_param(request, caller.company, state)
        base = base_url(request)
        return page(request, "VoucherSeriesCollection", [
            {
                "@url": f"{base}/3/voucherseries/{series['Code']}?financialyear={year_id}",
                "Approver": {"Id": 0, "Name": ""},
                **public(series),
                "Year": year_id,
            }
            for series in caller.company.voucher_series
        ])

    @app.get("/3/costcenters")
    def cost_centers(request: Request, caller: Caller = costcenter_scope):
        base = base_url(request)
        return page(request, "CostCenters", [
            {"@url": f"{base}/3/costcenters/{center['Code']}", **public(center)} for center in caller.company.cost_centers
        ])

    @app.get("/3/projects")
    def projects(request: Request, caller: Caller = project_scope):
        base = base_url(request)
        return page(request, "Projects", [
            {"@url": f"{base}/3/projects/{project['ProjectNumber']}", **{name: project[name] for name in PROJECT_LIST_FIELDS}}
            for project in caller.company.projects
        ])

    @app.get("/3/sie/{sie_type}")
    def sie(request: Request, sie_type: int, caller: Caller = bookkeeping):
        if sie_type not in SIE_TYPES:
            raise FortnoxError.bad_request(f"Ogiltig parameter: SIE-typ {sie_type} finns inte (1–4).")
        year_id = financial_year_param(request, caller.company, state)
        from_date, to_date = date_param(request, "fromdate"), date_param(request, "todate")
        # Holding the lock keeps a voucher posted meanwhile from appearing half-way through the file.
        with state.books_lock:
            content = sie_export.sie_file(
                caller.company, year_id, sie_type, from_date, to_date, generated_on=state.today()
            )
        return Response(content, media_type=SIE_CONTENT_TYPE)
