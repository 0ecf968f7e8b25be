"""/3/vouchers: lists, single vouchers, and posting a voucher with the checks Fortnox makes."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation

import fastapi
from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from fortnox_etl.sandbox.api_books import financial_year_param
from fortnox_etl.sandbox.api_common import (
    CODE_DOCUMENT_NOT_FOUND,
    CODE_INCORRECT_DATA,
    CODE_JSON_SYNTAX,
    CODE_LOCKED_PERIOD,
    CODE_POSTED_ACCOUNT_NOT_FOUND,
    CODE_TOO_FEW_ROWS,
    Caller,
    FortnoxError,
    base_url,
    date_param,
    in_date_range,
    int_param,
    last_modified_param,
    list_fields,
    modified_since,
    page,
    public,
    requires,
    year_containing,
    year_of,
)
from fortnox_etl.sandbox.generator import Company, ore_to_amount

# Recorded list entries (540 of them) carry only these; only the single voucher has Comments,
# Description, TransactionDate and ApprovalState.
VOUCHER_LIST_FIELDS = ("ReferenceNumber", "ReferenceType", "VoucherNumber", "VoucherSeries", "Year")
# The OpenAPI file's VoucherListItem: served only with lenient lists.
VOUCHER_DOCUMENTED_LIST_FIELDS = VOUCHER_LIST_FIELDS + ("ApprovalState", "Comments", "Description", "TransactionDate")
CODE_NOT_NUMERIC = 2000108
MAX_DESCRIPTION = 200
MAX_COMMENTS = 1000
MAX_TRANSACTION_INFORMATION = 100


def add_routes(app: fastapi.FastAPI, state) -> None:
    bookkeeping = requires(state, "bookkeeping")
    # (tenant, year, series, number) -> voucher; posting adds to it under books_lock.
    vouchers_by_key = {
        (tenant_id, voucher["Year"], voucher["VoucherSeries"], voucher["VoucherNumber"]): voucher
        for tenant_id, company in state.companies.items()
        for year_vouchers in company.vouchers.values()
        for voucher in year_vouchers
    }

    def voucher_list(request: Request, company: Company, series: str | None) -> dict:
        year_id = financial_year_param(request, company, state)
        series = series or request.query_params.get("voucherseries")
        cost_center = request.query_params.get("costcenter")
        from_date, to_date = date_param(request, "fromdate"), date_param(request, "todate")
        since = last_modified_param(request)
        base = base_url(request)
        fields = list_fields(state, VOUCHER_LIST_FIELDS, VOUCHER_DOCUMENTED_LIST_FIELDS)
        with state.books_lock:
            year_vouchers = list(company.vouchers[year_id])
        return page(request, "Vouchers", [
            voucher
            for voucher in year_vouchers
            if (series is None or voucher["VoucherSeries"] == series)
            and in_date_range(voucher["TransactionDate"], from_date, to_date)
            and modified_since(voucher.get("_modified"), since)
            and (cost_center is None or any(
                row["CostCenter"] == cost_center and not row["Removed"] for row in voucher["VoucherRows"]
            ))
        ], lambda voucher: {"@url": voucher_url(base, voucher), **{name: voucher[name] for name in fields}})

    @app.get("/3/vouchers")
    def vouchers(request: Request, caller: Caller = bookkeeping):
        return voucher_list(request, caller.company, None)

    # Declared before /3/vouchers/{series}/{number}, which would otherwise swallow it.
    @app.get("/3/vouchers/sublist/{series}")
    def vouchers_of_series(request: Request, series: str, caller: Caller = bookkeeping):
        return voucher_list(request, caller.company, series)

    @app.get("/3/vouchers/{series}/{number}")
    def voucher(request: Request, series: str, number: int, caller: Caller = bookkeeping):
        year_id = financial_year_param(request, caller.company, state)
        with state.books_lock:
            found = vouchers_by_key.get((caller.company.spec.tenant_id, year_id, series, number))
        if found is None:
            raise FortnoxError.not_found("Kan inte hitta verifikationen.", CODE_DOCUMENT_NOT_FOUND)
        return {"Voucher": {"@url": voucher_url(base_url(request), found), **public(found)}}

    @app.post("/3/vouchers")
    async def post_voucher(request: Request, caller: Caller = bookkeeping):
        voucher = _parse_voucher(await request.body())
        requested_year = int_param(request, "financialyear", 0) or None

        def book() -> dict:
            with state.books_lock:
                posted = book_voucher(state, caller.company, voucher, requested_year)
                key = (caller.company.spec.tenant_id, posted["Year"], posted["VoucherSeries"], posted["VoucherNumber"])
                vouchers_by_key[key] = posted
                return posted

        # Off the event loop: waiting for the books lock must not stall other requests.
        posted = await run_in_threadpool(book)
        return JSONResponse({"Voucher": {"@url": voucher_url(base_url(request), posted), **public(posted)}}, status_code=201)


def voucher_url(base: str, voucher: dict) -> str:
    return f"{base}/3/vouchers/{voucher['VoucherSeries']}/{voucher['VoucherNumber']}?financialyear={voucher['Year']}"


def _parse_voucher(body: bytes) -> dict:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FortnoxError.bad_request("Error deserializing JSON: JSON_ERROR_SYNTAX", CODE_JSON_SYNTAX) from None
    voucher = document.get("Voucher") if isinstance(document, dict) else None
    if not isinstance(voucher, dict):
        raise FortnoxError.bad_request("Ingen eller felaktig typ av data.", CODE_INCORRECT_DATA)
    return voucher


def _refused(message: str, code: int = CODE_INCORRECT_DATA) -> FortnoxError:
    return FortnoxError.bad_request(message, code)


def book_voucher(state, company: Company, voucher: dict, requested_year: int | None) -> dict:
    """Check the voucher as Fortnox does, then book it with the next number of its series and year.

    The caller holds `state.books_lock`: checking, numbering and booking are one step.
    """
    description = voucher.get("Description")
    if not isinstance(description, str) or not description.strip():
        raise _refused("Verifikationen måste ha en beskrivning (Description).")
    if len(description) > MAX_DESCRIPTION:
        raise _refused(f"Description får vara högst {MAX_DESCRIPTION} tecken.")
    comments = voucher.get("Comments") or ""
    if not isinstance(comments, str) or len(comments) > MAX_COMMENTS:
        raise _refused(f"Comments ska vara text, högst {MAX_COMMENTS} tecken.")

    series_code = voucher.get("VoucherSeries")
    series = next((s for s in company.voucher_series if s["Code"] == series_code), None)
    if series is None:
        raise _refused(f'Verifikationsserien "{series_code}" finns inte.')
    if not series["Manual"]:
        raise _refused(f"Verifikationsserien är inte manuell ({series_code}).")

    try:
        day = date.fromisoformat(str(voucher.get("TransactionDate")))
    except ValueError:
        raise _refused("Ogiltigt datum: TransactionDate ska vara ÅÅÅÅ-MM-DD.") from None
    if requested_year is not None:
        year = year_of(company, requested_year)
        if not year["FromDate"] <= day.isoformat() <= year["ToDate"]:
            raise _refused(f"Datumet {day} ligger utanför räkenskapsår {requested_year}.")
    else:
        year = year_containing(company, day.isoformat())
        if year is None:
            raise _refused(f"Det finns inget räkenskapsår för datumet {day}.")
    locked_until = state.locked_period(company.spec.tenant_id)
    if locked_until is not None and day <= locked_until:
        raise _refused(f"Kan inte bokföra verifikationen: företaget har låst perioden t.o.m. {locked_until}.", CODE_LOCKED_PERIOD)

    rows = voucher.get("VoucherRows")
    if not isinstance(rows, list) or len(rows) < 2:
        raise _refused("En verifikation måste ha minst två rader.", CODE_TOO_FEW_ROWS)
    accounts = {account["Number"]: account for account in company.accounts[year["Id"]]}
    booked_rows = [_booked_row(company, accounts, row) for row in rows]
    debit = sum(_ore(row["Debit"]) for row in booked_rows)
    credit = sum(_ore(row["Credit"]) for row in booked_rows)
    if debit != credit:
        raise _refused(f"Verifikationen är inte i balans: debet {ore_to_amount(debit)}, kredit {ore_to_amount(credit)}.")

    year_vouchers = company.vouchers[year["Id"]]
    number = 1 + max((v["VoucherNumber"] for v in year_vouchers if v["VoucherSeries"] == series_code), default=0)
    now = state.now()
    posted = {
        "ApprovalState": 0,
        "Comments": comments,
        "CostCenter": "",
        "Description": description,
        "Project": "",
        "ReferenceNumber": "",
        "ReferenceType": "MANUAL",
        "TransactionDate": day.isoformat(),
        "VoucherNumber": number,
        "VoucherRows": booked_rows,
        "VoucherSeries": series_code,
        "Year": year["Id"],
        "_modified": now.strftime("%Y-%m-%d %H:%M"),
        "_registered": now.date().isoformat(),
    }
    year_vouchers.append(posted)
    for row in booked_rows:
        account = accounts[row["Account"]]
        account["BalanceCarriedForward"] = ore_to_amount(
            _ore(account["BalanceCarriedForward"]) + _ore(row["Debit"]) - _ore(row["Credit"])
        )
    return posted


def _booked_row(company: Company, accounts: dict[int, dict], row: object) -> dict:
    if not isinstance(row, dict):
        raise _refused("Ingen eller felaktig typ av data.")
    number = row.get("Account")
    try:
        account = accounts.get(int(number))
    except (TypeError, ValueError):
        account = None
    if account is None:
        raise _refused(f"Kunde inte hitta konto ({number}).", CODE_POSTED_ACCOUNT_NOT_FOUND)
    if not account["Active"]:
        raise _refused(f'Konto "{account["Number"]}" är inte aktivt.', CODE_POSTED_ACCOUNT_NOT_FOUND)
    cost_center = row.get("CostCenter") or ""
    if cost_center and cost_center not in {center["Code"] for center in company.cost_centers}:
        raise _refused(f'Kostnadsstället "{cost_center}" finns inte.')
    project = row.get("Project") or ""
    if project and project not in {p["ProjectNumber"] for p in company.projects}:
        raise _refused(f'Projektet "{project}" finns inte.')
    information = row.get("TransactionInformation") or ""
    if not isinstance(information, str) or len(information) > MAX_TRANSACTION_INFORMATION:
        raise _refused(f"TransactionInformation får vara högst {MAX_TRANSACTION_INFORMATION} tecken.")
    # A row's Description is read-only in Fortnox: it is always the account's name.
    return {
        "Account": account["Number"],
        "AccountDescription": account["Description"],
        "CostCenter": cost_center,
        "Credit": _amount(row.get("Credit")),
        "Debit": _amount(row.get("Debit")),
        "Description": account["Description"],
        "Project": project,
        "Quantity": _amount(row.get("Quantity")),
        "Removed": False,
        "TransactionInformation": information,
    }


def _amount(value: object) -> float:
    """A posted number (or numeric string) as an amount with at most two decimals; absent is zero."""
    if value is None or value == "":
        return 0.0
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        exact = Decimal("NaN")
    if isinstance(value, bool) or not exact.is_finite():
        raise FortnoxError.bad_request(f"Värdet måste vara numeriskt ({value})", CODE_NOT_NUMERIC)
    return ore_to_amount(int((exact * 100).to_integral_value()))


def _ore(amount: float) -> int:
    return round(amount * 100)
