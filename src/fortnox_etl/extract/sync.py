"""One client's sync from Fortnox to staging: the company, its financial years, chart of accounts,
vouchers with rows and balances, loaded in full or incrementally, step by step.

Each public function is a step of the sync DAG's first task (`period_end.client_steps`), and can be called
without Airflow. Log lines are the operator's activity log: they say what happened in bookkeeping words.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import text

from fortnox_etl.config import same_organisation
from fortnox_etl.extract.load_stats import FULL, INCREMENTAL, LoadStats, cursor_at, voucher_cursor
from fortnox_etl.fortnox.api import PAGE_LIMIT, FortnoxApi
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.fortnox.errors import YEAR_FIELDS, MissingScopeOrLicence, WrongCompany, each_required, required
from fortnox_etl.period import Period, PeriodError
from fortnox_etl.sie.import_source import FORTNOX, active_import_source, record_import_source
from fortnox_etl.sie.reader import SieFile, SieStream
from fortnox_etl.sie.rules import is_balance_account
from fortnox_etl.sie.staging import StagedVouchers, stage_sie_year
from fortnox_etl.staging.books_lease import BooksLease
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)
# An incremental load asks for the changed vouchers, Fortnox's voucher count and the file from a date.
INCREMENTAL_MIN_REQUESTS = 3


def extract_company(ctx: ClientContext, period: Period) -> dict:
    """Load the company and its financial years; return the year that holds the period, and the one before."""
    api = ctx.api()
    company = api.single("/3/companyinformation", "CompanyInformation")
    organisation_number = str(company.get("OrganizationNumber") or "").strip()
    if not same_organisation(organisation_number, ctx.client.organisation_number):
        raise WrongCompany(
            f"client {ctx.client.key} is {ctx.client.organisation_number}, but its Fortnox connection belongs to "
            f"{company.get('CompanyName')!r} ({organisation_number or 'no organisation number'}). Nothing was loaded. "
            f"Reconnect the client with the right company, or correct config/clients.yaml"
        )
    years = each_required(api.list("/3/financialyears", "FinancialYears"), YEAR_FIELDS, "GET /3/financialyears")
    load = _new_load()
    with ctx.engine.begin() as connection:
        run_sql(connection, "load/delete_raw_company", client_key=ctx.client.key)
        connection.execute(text(sql("load/insert_raw_company_information")), {
            "client_key": ctx.client.key, **load,
            "company_name": company.get("CompanyName") or "",
            "organisation_number": organisation_number,
            "database_number": _int_or_none(company.get("DatabaseNumber")),
            "address": company.get("Address"), "zip_code": company.get("ZipCode"), "city": company.get("City"),
            "phone": company.get("Phone1"),
        })
        if years:  # a company without financial years gets the period error below
            connection.execute(text(sql("load/insert_raw_financial_years")), [{
                "client_key": ctx.client.key, **load, "financial_year_id": int(year["Id"]),
                "from_date": year["FromDate"], "to_date": year["ToDate"],
                "account_chart_type": year.get("AccountChartType"), "accounting_method": year.get("AccountingMethod"),
            } for year in years])
    current = next((y for y in years if y["FromDate"] <= period.last_day.isoformat() <= y["ToDate"]), None)
    if current is None:
        raise PeriodError(
            f"client {ctx.client.key}: Fortnox has no financial year that contains {period} "
            f"(it has {', '.join(y['FromDate'][:7] + '..' + y['ToDate'][:7] for y in years) or 'none'}); "
            "create the year in Fortnox or choose another period"
        )
    day_before = (dt.date.fromisoformat(current["FromDate"]) - dt.timedelta(days=1)).isoformat()
    previous = next((y for y in years if y["ToDate"] == day_before), None)
    log.info("client %s: %s (%s), %d financial years in Fortnox; period %s is in the year %s..%s",
             ctx.client.key, company.get("CompanyName"), organisation_number, len(years), period,
             current["FromDate"], current["ToDate"])
    # The previous year comes along for the comparatives (#RAR -1) and the IB = previous UB check.
    return {
        "period": str(period),
        "years": [{"id": int(y["Id"]), "from_date": y["FromDate"], "to_date": y["ToDate"]}
                  for y in (previous, current) if y is not None],
        "requests": api.requests_made,  # the company and its years: no load of its own records them
    }


def extract_financial_year(ctx: ClientContext, year: dict) -> dict:
    """Load one financial year into staging (`_load_financial_year`), holding the client-year's books lease
    from before the load is planned until it is committed: a `sie import` of the year waits, or is waited for."""
    with BooksLease(ctx.engine, ctx.client.key, year["from_date"], f"the sync of client {ctx.client.key}") as lease:
        return _load_financial_year(ctx, year, lease)


def _load_financial_year(ctx: ClientContext, year: dict, lease: BooksLease) -> dict:
    """Load one financial year's chart of accounts, vouchers with rows and balances into staging.

    `year` is one of the years extract_company returned: {"id", "from_date", "to_date"}. Vouchers,
    rows, objects, opening balances (#IB) and Fortnox's own balances come from ONE request, Fortnox's
    SIE export; the JSON lists add what SIE lacks (account status, voucher reference fields, cost
    centres and projects the file does not use), 500 records a request. Only fields that Fortnox's
    list answers were seen to carry are read from them (README, "How we talk to Fortnox"). The year's import source becomes
    Fortnox. A year loaded before is loaded incrementally when that is cheaper (see `_choose_path`).
    """
    started = dt.datetime.now(dt.UTC)
    api = ctx.api()
    key = ctx.client.key
    financial_year_id = year["id"]
    stats = LoadStats(api)
    accounts = stats.fetch("accounts", lambda: list(api.list("/3/accounts", "Accounts", financialyear=financial_year_id)))
    objects = _objects_lists(ctx, api, financial_year_id, stats)
    plan = _choose_path(ctx, api, stats, year)
    log.info("client %s: the year %s..%s is loaded %s: %s", key, year["from_date"], year["to_date"],
             "in full" if plan.path == FULL else "incrementally", plan.reason)
    stats.path = plan.path
    next_cursor = cursor_at(started)
    if plan.path == FULL:
        heads = stats.fetch("vouchers", lambda: {_voucher_key(h): _references(h)
                                                 for h in api.list("/3/vouchers", "Vouchers",
                                                                   financialyear=financial_year_id)},
                            next_cursor=next_cursor)
        vouchers_reported = api.reported_totals.get("/3/vouchers")
        # The list first: a voucher can appear between the two requests but never vanish, so every
        # listed voucher must be in the file; one that is not means the file was cut short.
        sie_file = stats.fetch("sie4", lambda: api.download("/3/sie/4", _complete_sie(heads),
                                                            financialyear=financial_year_id), rows=lambda _: 0)
    else:
        vouchers_reported = stats.fetch("vouchers (count)", lambda: _voucher_total(api, financial_year_id),
                                        rows=lambda total: 0, next_cursor=next_cursor)
        sie_file = stats.fetch(f"sie4 from {plan.from_date}", lambda: api.download(
            "/3/sie/4", _complete_sie(plan.changed), financialyear=financial_year_id, fromdate=plan.from_date),
            rows=lambda _: 0)
        with ctx.engine.connect() as connection:
            heads = {**_staged_references(connection, key, financial_year_id, plan.from_date),
                     **{voucher: _references(head) for voucher, head in plan.changed.items()}}
    load = _new_load()
    partition = {"client_key": key, "financial_year_id": financial_year_id, **load}
    account_rows = _account_rows(partition, accounts)
    with ctx.engine.begin() as connection:
        lease.hold(connection)
        stream = SieStream(sie_file)
        loaded = stage_sie_year(connection, partition, stream.sie, stream, heads, account_rows,
                                from_date=plan.from_date)
        stats.resources[-1].rows_loaded = loaded.vouchers  # the file's vouchers, counted as they were staged
        _set_opening_balances(connection, partition, stream.sie, {row["account"] for row in account_rows})
        if objects is not None:
            _load_objects_lists(connection, {"client_key": key, **load}, *objects)
        record_import_source(connection, key, financial_year_id, FORTNOX, recorded_by=f"sync of client {key}")
        staged = connection.execute(text(sql("load/count_staged_year")),
                                    {"client_key": key, "financial_year_id": financial_year_id}).one()
        counts = {"load_id": load["load_id"], "requests": api.requests_made, "accounts": staged.accounts,
                  "vouchers": staged.vouchers, "voucher_rows": staged.voucher_rows,
                  "fortnox_accounts_reported": api.reported_totals.get("/3/accounts"),
                  "fortnox_vouchers_reported": vouchers_reported}
        connection.execute(text(sql("load/insert_load_run")), {
            "load_id": load["load_id"], "client_key": key, "financial_year_id": financial_year_id,
            "started_at": started.isoformat(timespec="seconds"), "finished_at": _now(), **counts,
        })
        stats.save(connection, load["load_id"], key, financial_year_id)
    log.info("client %s: %s vouchers for the year %s..%s loaded (%s with %s rows now staged, %s accounts; "
             "%s requests to Fortnox); Fortnox is the year's import source", key, f"{loaded.vouchers:,}", year["from_date"],
             year["to_date"], f"{counts['vouchers']:,}", f"{counts['voucher_rows']:,}", f"{counts['accounts']:,}",
             f"{api.requests_made:,}")
    return counts


@dataclass(frozen=True)
class _Plan:
    path: str  # FULL or INCREMENTAL
    reason: str  # for the operator's log
    changed: dict | None = None  # incremental: the changed vouchers' list records by (series, number)
    from_date: str | None = None  # incremental: the earliest changed voucher's date; the file starts there


def _choose_path(ctx: ClientContext, api: FortnoxApi, stats: LoadStats, year: dict) -> _Plan:
    """Full file, or only what changed since the last load: whichever costs fewer requests AND less work.

    Incremental: the vouchers changed since the last load's cursor (`lastmodified`), Fortnox's voucher
    count, and the SIE file from the earliest changed voucher's date on (it still carries the whole
    year's balances), replacing the staged vouchers from that date. Full: the voucher list (500 a
    page) and the whole year's file.
    """
    key, financial_year_id = ctx.client.key, year["id"]
    with ctx.engine.connect() as connection:
        cursor = voucher_cursor(connection, key, financial_year_id)
    source = active_import_source(ctx.engine, key, financial_year_id)
    if cursor is None:
        return _Plan(FULL, "it has no earlier load from Fortnox to build on")
    if source != FORTNOX:
        return _Plan(FULL, "its books in staging came from an imported SIE file; a full load makes Fortnox the source again")
    full_requests = 1 + _pages(cursor.staged_vouchers)
    if full_requests <= INCREMENTAL_MIN_REQUESTS:
        return _Plan(FULL, f"the full file costs {full_requests} requests for its {cursor.staged_vouchers:,} vouchers; "
                           f"looking for changes costs at least {INCREMENTAL_MIN_REQUESTS}")
    first_page = stats.fetch(f"vouchers changed since {cursor.since}", lambda: api.get(
        "/3/vouchers", financialyear=financial_year_id, lastmodified=cursor.since, limit=PAGE_LIMIT, page=1),
        rows=lambda body: len(body.get("Vouchers") or []))
    changed_count = int((first_page.get("MetaInformation") or {}).get("@TotalResources") or 0)
    incremental_requests = _pages(changed_count) - 1 + INCREMENTAL_MIN_REQUESTS - 1
    if incremental_requests >= full_requests:
        return _Plan(FULL, f"{_vouchers(changed_count)} changed since {cursor.since}: fetching the changes would cost "
                           f"{incremental_requests} more requests, the full file {full_requests}")
    changed = list(first_page.get("Vouchers") or [])
    if changed_count > PAGE_LIMIT:
        changed += stats.fetch("vouchers changed (further pages)", lambda: list(api.list(
            "/3/vouchers", "Vouchers", start_page=2, financialyear=financial_year_id, lastmodified=cursor.since)))
    changed_heads = {_voucher_key(h): h for h in changed}
    with ctx.engine.connect() as connection:
        staged_dates = {(row.voucher_series, int(row.voucher_number)): str(row.transaction_date)[:10]
                        for row in connection.execute(text(sql("load/select_voucher_dates")),
                                                      {"client_key": key, "financial_year_id": financial_year_id})}
    # List entries carry no TransactionDate: a staged voucher's date is staged (a booked voucher's date does
    # not change); a new voucher's date is read from the single voucher, one request each.
    dates = {voucher: head.get("TransactionDate") or staged_dates.get(voucher) for voucher, head in changed_heads.items()}
    undated = sorted(voucher for voucher, day in dates.items() if not day)
    if undated and incremental_requests + len(undated) >= full_requests:
        return _Plan(FULL, f"{_vouchers(changed_count)} changed since {cursor.since}, {len(undated):,} of them new: "
                           f"reading their dates would cost {incremental_requests + len(undated)} more requests, "
                           f"the full file {full_requests}")
    if undated:
        incremental_requests += len(undated)
        dates.update(stats.fetch(f"dates of {_vouchers(len(undated))} new since {cursor.since}", lambda: {
            (series, number): str(required(api.get(f"/3/vouchers/{quote(series, safe='')}/{number}",
                                                   financialyear=financial_year_id).get("Voucher"),
                                           "TransactionDate", f"GET /3/vouchers/{series}/{number}"))[:10]
            for series, number in undated}, rows=len))
    from_date = min(dates.values(), default=year["to_date"])
    with ctx.engine.connect() as connection:
        in_range = connection.execute(text(sql("load/count_staged_vouchers_from_date")), {
            "client_key": key, "financial_year_id": financial_year_id, "from_date": from_date}).scalar()
    if in_range >= cursor.staged_vouchers and cursor.staged_vouchers:
        return _Plan(FULL, f"{_vouchers(changed_count)} changed since {cursor.since}, the earliest dated {from_date}: "
                           "the file from that date is the whole year")
    return _Plan(INCREMENTAL, (
        f"{_vouchers(changed_count)} changed since {cursor.since}; they cost {incremental_requests} more requests "
        f"and the file from {from_date} on ({in_range:,} staged vouchers are replaced), against {full_requests} "
        f"requests and all {cursor.staged_vouchers:,} vouchers for the full file"), changed_heads, from_date)


def _voucher_total(api: FortnoxApi, financial_year_id: int) -> int:
    """How many vouchers Fortnox has in the year (@TotalResources of a one-record page), to check the staged count."""
    body = api.get("/3/vouchers", financialyear=financial_year_id, limit=1, page=1)
    return int((body.get("MetaInformation") or {}).get("@TotalResources") or 0)


def _staged_references(connection, client_key: str, financial_year_id: int, from_date: str) -> dict:
    """The reference fields of the staged vouchers dated from `from_date`, in the list's form: they are
    staged again from the file, which lacks them."""
    rows = connection.execute(text(sql("load/select_voucher_references_from_date")), {
        "client_key": client_key, "financial_year_id": financial_year_id, "from_date": from_date}).mappings()
    return {(row["voucher_series"], int(row["voucher_number"])): {
        "ReferenceNumber": row["reference_number"], "ReferenceType": row["reference_type"],
        "Comments": row["comments"]} for row in rows}


def _vouchers(count: int) -> str:
    return f"{count:,} voucher" + ("" if count == 1 else "s")


def _pages(records: int) -> int:
    return max(1, -(-records // PAGE_LIMIT))


def _objects_lists(ctx: ClientContext, api: FortnoxApi, financial_year_id: int,
                   stats: LoadStats) -> tuple[list[dict], list[dict]] | None:
    """Cost centres and projects with their names, once per sync: with the client's newest year.

    Other years' SIE files declare their objects themselves; without the scopes, so does this one's.
    """
    with ctx.engine.connect() as connection:
        later = connection.execute(text(sql("load/count_later_financial_years")),
                                   {"client_key": ctx.client.key, "financial_year_id": financial_year_id}).scalar()
    if later:
        return None
    try:
        return (stats.fetch("cost centres", lambda: list(api.list("/3/costcenters", "CostCenters"))),
                stats.fetch("projects", lambda: list(api.list("/3/projects", "Projects"))))
    except MissingScopeOrLicence as error:
        log.warning("client %s: cost centres and projects not listed (%s); the SIE file's object names are used",
                    ctx.client.key, error)
        return None


def _load_objects_lists(connection, client_rows: dict, cost_centers: list[dict], projects: list[dict]) -> None:
    run_sql(connection, "load/delete_raw_cost_centers_projects", client_key=client_rows["client_key"])
    for statement, batch in (
        ("insert_raw_cost_centers", [{**client_rows, "code": str(required(c, "Code", "GET /3/costcenters")),
                                      "description": c.get("Description") or "", "active": _bool(c.get("Active", True))}
                                     for c in cost_centers]),
        ("insert_raw_projects", [{**client_rows, "project_number": str(required(p, "ProjectNumber", "GET /3/projects")),
                                  "description": p.get("Description") or "", "status": p.get("Status")}
                                 for p in projects]),
    ):
        if batch:
            connection.execute(text(sql(f"load/{statement}")), batch)


def _complete_sie(listed: dict[tuple[str, int], dict]):
    """A check of a downloaded SIE file, read through once without keeping it: it must be readable and hold
    every voucher Fortnox listed (one missing means the download was cut short). Returns the bytes."""

    def check(data: bytes) -> bytes:
        seen = StagedVouchers()
        for voucher in SieStream(data).parts():  # plainly written vouchers are read without building their rows
            seen.add(voucher.series, int(voucher.number))
        missing = set(listed) - seen
        if missing:
            first = min(missing)
            raise ValueError(f"it lacks {len(missing)} of the {len(listed)} vouchers Fortnox lists, "
                             f"for example {first[0]} {first[1]}")
        return data

    return check


def _references(head: dict) -> dict:
    """What a /3/vouchers list record adds to the SIE file's voucher; the rest of the record is not kept.
    Comments are not in real list answers: kept when a list carries them, else none."""
    return {"ReferenceNumber": head.get("ReferenceNumber"), "ReferenceType": head.get("ReferenceType"),
            "Comments": head.get("Comments")}


def _account_rows(partition: dict, accounts: list[dict]) -> list[dict]:
    """raw_accounts rows of the /3/accounts list. Its entries carry no balances (nor VATCode, most likely): the
    opening balances are the SIE file's #IB, set once the file is read (`_set_opening_balances`). Numbers and SRU
    codes are staged as text, as SIE files write them."""
    return [{
        **partition, "account": str(required(a, "Number", "GET /3/accounts")), "description": a.get("Description") or "",
        "active": _bool(a.get("Active", True)), "sru": _text_or_none(a.get("SRU")), "vat_code": a.get("VATCode") or None,
        "balance_brought_forward_ore": 0,
    } for a in accounts]


def _voucher_key(head: dict) -> tuple[str, int]:
    return (str(required(head, "VoucherSeries", "GET /3/vouchers")),
            int(required(head, "VoucherNumber", "GET /3/vouchers")))


def _set_opening_balances(connection, partition: dict, sie: SieFile, accounts: set[str]) -> None:
    """The staged chart's balance brought forward: the SIE file's #IB of the year (index 0), balance accounts only."""
    rows = [{"client_key": partition["client_key"], "financial_year_id": partition["financial_year_id"],
             "account": account, "balance_brought_forward_ore": ore}
            for (year_index, account), ore in sie.opening.items()
            if year_index == 0 and account in accounts and is_balance_account(sie, account)]
    if rows:
        connection.execute(text(sql("load/update_opening_balances")), rows)


def _new_load() -> dict:
    return {"load_id": str(uuid.uuid4()), "loaded_at": _now()}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _bool(value: object) -> bool:
    # Fortnox sends some booleans as strings.
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)


def _text_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _int_or_none(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
