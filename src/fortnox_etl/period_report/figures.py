"""What a period report shows, read from staging: the SIE tables and balances, the ledgers' open items and
reconciliation, the stored check results, the outbox's posted vouchers, the loads' request counts and the
books' source. Amounts stay in öre, debit positive, as staging keeps them; the page turns signs for reading.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, text

from fortnox_etl.staging.database import sql

LEDGER_NAMES = ("customer", "supplier")
# BAS account classes as the report groups them: (first digits, heading).
BALANCE_CLASSES = ((("1",), "Tillgångar"), (("2",), "Eget kapital och skulder"))
RESULT_CLASSES = ((("3",), "Intäkter"), (("4",), "Material och varor"), (("5", "6"), "Övriga externa kostnader"),
                  (("7",), "Personal"), (("8",), "Finansiella poster, bokslutsdispositioner och skatt"))


class NoBooksForPeriod(LookupError):
    """Staging holds no financial year with the period in it: the SIE tables were not built for it."""


@dataclass(frozen=True)
class RunRequests:
    """The sync run that writes the report: its Airflow run id, the requests its extract task made for the
    company and its financial years, and the loads it staged (each load's requests are in load_resources)."""
    run_id: str | None
    company_requests: int
    load_ids: list[str]


@dataclass(frozen=True)
class Year:
    financial_year_id: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Ledger:
    name: str  # customer | supplier
    control_account: int | None
    open_items: int
    ledger_open_ore: int
    account_balance_ore: int
    difference_ore: int
    explained_ore: int
    ageing: dict[str, tuple[int, int]]  # bucket -> (items, open öre)
    differences: list[dict]

    @property
    def built(self) -> bool:
        return self.control_account is not None


@dataclass(frozen=True)
class PeriodFigures:
    client_key: str
    company_name: str
    organisation_number: str
    period_end: dt.date
    year: Year
    previous_year: Year | None
    months: list[str]  # YYYYMM of the year up to the period
    monthly_result: dict[str, int]  # YYYYMM -> the month's change on result accounts
    previous_monthly_result: dict[str, int]  # the previous year's same months, by this year's YYYYMM
    closing: dict[str, int]  # account -> balance at the period's end (UB, or RES so far for a result account)
    previous_closing: dict[str, int]  # the same day's figures of the previous year
    ledgers: list[Ledger]
    checks: list[dict]
    source: dict | None
    previous_source: dict | None
    posted_vouchers: list[dict]
    run: RunRequests | None  # None: written outside a sync run, no requests counted
    loads: list[dict]  # the Fortnox requests of the run's loads

    @property
    def result_ore(self) -> int:
        """The year's result so far, debit positive as in staging (a profit is negative)."""
        return sum(self.monthly_result.values())

    @property
    def previous_result_ore(self) -> int:
        return sum(self.previous_monthly_result.values())

    @property
    def requests(self) -> int:
        """The Fortnox requests of the run that wrote the report."""
        return (self.run.company_requests if self.run else 0) + sum(load["requests"] for load in self.loads)


RESULT_TRANSFER = "899"  # 8999 Årets resultat: the year's result booked to equity (2099), not a cost


def class_total(closing: dict[str, int], first_digits: tuple[str, ...]) -> int:
    """The sum of the balances of the BAS accounts whose number starts with one of the digits, the result
    transfer (899x) left out."""
    return sum(amount for account, amount in closing.items() if account[:1] in first_digits
               and len(account) == 4 and not account.startswith(RESULT_TRANSFER))


def unbooked_result(closing: dict[str, int]) -> int:
    """What the result accounts (classes 3-8, the transfer 899x included) hold: the result not yet booked to
    equity, debit positive. Zero once 8999 has taken the year's result to 2099."""
    return sum(amount for account, amount in closing.items() if account[:1] in "345678" and len(account) == 4)


def read_figures(engine: Engine, client_key: str, company_name: str, organisation_number: str,
                 period_end: dt.date, run: RunRequests | None = None) -> PeriodFigures:
    """Everything the report on the client's period shows, from staging as the sync left it."""
    with engine.connect() as db:
        years = [Year(row.financial_year_id, _date(row.start_date), _date(row.end_date))
                 for row in _rows(db, "sie/select_financial_years", client_key=client_key)]
        year = next((y for y in years if y.start <= period_end <= y.end), None)
        if year is None:
            raise NoBooksForPeriod(f"client {client_key}: staging has no financial year holding {period_end}; "
                                   "run the sync for the period (or import its SIE file) before writing its report")
        previous = next((y for y in years if y.end == year.start - dt.timedelta(days=1)), None)
        months = _months(year.start, period_end)
        previous_months = _months(previous.start, _months_after(previous.start, len(months))) if previous else []
        scope = {"client_key": client_key, "financial_year_id": year.financial_year_id}
        monthly = {row.period: int(row.amount_ore)
                   for row in _rows(db, "period_report/monthly_result", **scope, last_period=months[-1])}
        previous_monthly = {}
        previous_closing = {}
        if previous:
            previous_scope = {"client_key": client_key, "financial_year_id": previous.financial_year_id}
            by_previous = {row.period: int(row.amount_ore) for row in
                           _rows(db, "period_report/monthly_result", **previous_scope, last_period=previous_months[-1])}
            previous_monthly = {month: by_previous.get(earlier, 0) for month, earlier in zip(months, previous_months)}
            previous_closing = _closing(db, previous_scope, previous_months[-1])
        ledgers = [_ledger(db, client_key, period_end, name) for name in LEDGER_NAMES]
        checks = [row._asdict() for row in _rows(db, "period_report/check_results", **scope,
                                                  period_end=period_end.isoformat())]
        sources = [_source(db, client_key, y) for y in (year, previous)]
        posted = [row._asdict() for row in _rows(db, "period_report/posted_vouchers", client_key=client_key,
                                                  year_start=year.start.isoformat(), period_end=period_end.isoformat())]
        loads = [row._asdict() for row in db.execute(
            text(sql("period_report/load_requests")).bindparams(bindparam("load_ids", expanding=True)),
            {"client_key": client_key, "load_ids": run.load_ids})] if run and run.load_ids else []
        return PeriodFigures(
            client_key, company_name, organisation_number, period_end, year, previous, months,
            {month: monthly.get(month, 0) for month in months}, previous_monthly, _closing(db, scope, months[-1]),
            previous_closing, ledgers, checks, *sources, posted, run, loads)


def _closing(db: Connection, scope: dict, last_period: str) -> dict[str, int]:
    """Each account's balance at the end of the last period: a balance account's UB, a result account's RES."""
    return {row.account: int(row.amount_ore) for row in _rows(db, "sie/select_balances_to_date", **scope,
                                                               last_period=last_period)
            if row.balance_type in ("UB", "RES")}


def _ledger(db: Connection, client_key: str, period_end: dt.date, name: str) -> Ledger:
    scope = {"client_key": client_key, "period_end": period_end.isoformat(), "ledger": name}
    reconciliation = _rows(db, "ledgers/select_reconciliation", **scope)
    ageing = {row.ageing_bucket: (int(row.items), int(row.open_ore)) for row in _rows(db, "period_report/ageing", **scope)}
    differences = [row._asdict() for row in _rows(db, "ledgers/select_differences", **scope)]
    if not reconciliation:
        return Ledger(name, None, 0, 0, 0, 0, 0, ageing, differences)
    r = reconciliation[0]
    return Ledger(name, int(r.control_account), int(r.open_items), int(r.ledger_open_ore), int(r.account_balance_ore),
                  int(r.difference_ore), int(r.explained_ore), ageing, differences)


def _source(db: Connection, client_key: str, year: Year | None) -> dict | None:
    if year is None:
        return None
    row = db.execute(text(sql("import_source/select_active_source")),
                     {"client_key": client_key, "financial_year_id": year.financial_year_id}).first()
    return row._asdict() if row else None


def _rows(db: Connection, name: str, **params) -> list:
    return db.execute(text(sql(name)), params).all()


def _months(start: dt.date, end: dt.date) -> list[str]:
    """YYYYMM of every month from the one holding start to the one holding end."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{index // 12}{index % 12 + 1:02d}" for index in range(first, last + 1)]


def _months_after(start: dt.date, count: int) -> dt.date:
    """The first day of the count-th month from start's (count 1 is start's own month)."""
    index = start.year * 12 + start.month - 1 + count - 1
    return dt.date(index // 12, index % 12 + 1, 1)


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
