"""The checks that gate a client's period, run after every import.

`run_checks` runs each check of include/sql/checks/ against the staged year, stores the results per
client, financial year and period end (a rerun replaces them) and logs each in plain words; `gate`
then fails the task when an error check failed. Warnings are logged and stored but never fail.

A result's status is one of:
- "passed": the check ran and found nothing;
- "failed": it found something; `details` has one line per voucher, account or number range;
- "not_run": its input is not there (Fortnox's totals not recorded by an older load, the ledgers not
  reconciled for the period, the previous year not loaded); the message says what is missing. It
  does not fail the gate, since nothing was found wrong, but it is logged as a warning.

The checks cover the whole staged financial year, not only the period's months: the SIE file and
every later step read the whole year.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from fortnox_etl.config import Client, same_organisation
from fortnox_etl.period import Period
from fortnox_etl.sie.fields import OBJECT_LIST_DIMENSION, object_list
from fortnox_etl.sie.import_source import FILE
from fortnox_etl.staging.database import run_sql, sql

if TYPE_CHECKING:  # the DAG files' retry policy imports this module: it must not load the API client
    from fortnox_etl.fortnox.client_context import ClientContext

log = logging.getLogger(__name__)

ERROR, WARNING = "error", "warning"
PASSED, FAILED, NOT_RUN = "passed", "failed", "not_run"
MAX_OBJECTS_PER_DIMENSION = 500
DIMENSION_NAMES = {1: "cost centres", 6: "projects"}  # Fortnox's SIE dimensions
BALANCE_NAMES = {"IB": "opening balance (IB)", "UB": "closing balance (UB)", "RES": "result (RES)"}
MAX_DETAILS_LOGGED = 25  # per check; all of them are stored
RERUN = "rerun the period"


@dataclass(frozen=True)
class CheckResult:
    check: str
    severity: str  # "error" | "warning"
    status: str  # "passed" | "failed" | "not_run"
    message: str
    details: list[str] = field(default_factory=list)
    # What was found, as data (amounts in öre, dates ISO): the period report words it for the accountant.
    facts: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        return self.status == FAILED


class PeriodChecksFailed(Exception):
    """At least one error check failed; the message lists them with what to do."""

    def __init__(self, message: str, results: list[CheckResult]) -> None:
        super().__init__(message)
        self.results = results


@dataclass(frozen=True)
class _Scope:
    """What one run of the checks looks at."""

    db: Connection
    client: Client
    financial_year_id: int
    period_end: dt.date

    @property
    def params(self) -> dict:
        return {"client_key": self.client.key, "financial_year_id": self.financial_year_id,
                "period_end": self.period_end.isoformat(), "organisation_number": self.client.organisation_number}

    def rows(self, name: str, **extra) -> list:
        return self.db.execute(text(sql(f"checks/{name}")), {**self.params, **extra}).all()


@dataclass(frozen=True)
class _Check:
    name: str
    severity: str
    run: Callable[[_Scope], tuple[str, str, list[str], dict]]  # -> status, message, details, facts


def run_checks(ctx: ClientContext, financial_year_id: int, period_end: dt.date) -> list[CheckResult]:
    """Run every check on the client's staged year, store the results (replacing the period's earlier
    ones) and log each; `gate(results)` decides whether the period may go on."""
    return check_staged_year(ctx.engine, ctx.client, financial_year_id, period_end)


def check_staged_year(engine: Engine, client: Client, financial_year_id: int, period_end: dt.date) -> list[CheckResult]:
    """run_checks for any source of the staged year: a sync, or an imported SIE file."""
    key = client.key
    with engine.connect() as db:
        scope = _Scope(db, client, financial_year_id, period_end)
        results = [CheckResult(check.name, check.severity, *check.run(scope)) for check in CHECKS]
    checked_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    where = {"client_key": key, "financial_year_id": financial_year_id, "period_end": period_end.isoformat()}
    with engine.begin() as db:
        run_sql(db, "checks/delete_results", **where)
        db.execute(text(sql("checks/insert_result")), [{
            **where, "check_name": r.check, "severity": r.severity, "status": r.status, "passed": r.passed,
            "message": r.message, "details": "\n".join(r.details), "facts": json.dumps(r.facts),
            "checked_at": checked_at,
        } for r in results])
    for result in results:
        _log(f"client {key}, period {Period.containing(period_end)}", result)
    failed = [r for r in results if r.failed]
    log.info("client %s: %d checks for the period ending %s: %d passed, %d errors, %d warnings, %d not run",
             key, len(results), period_end, sum(r.passed for r in results),
             sum(r.severity == ERROR for r in failed), sum(r.severity == WARNING for r in failed),
             sum(r.status == NOT_RUN for r in results))
    return results


def gate(results: list[CheckResult]) -> None:
    """Raise PeriodChecksFailed when an error check failed; warnings and checks not run pass."""
    errors = [r for r in results if r.failed and r.severity == ERROR]
    if errors:
        listed = " | ".join(f"{r.message} [{r.check}]" for r in errors)
        raise PeriodChecksFailed(f"the period's checks found {len(errors)} error(s): {listed}", errors)


def _log(prefix: str, result: CheckResult) -> None:
    # The check's name goes last, in brackets: the words are for the accountant, the name for support.
    if result.passed:
        log.info("%s: passed: %s [%s]", prefix, result.message, result.check)
        return
    if result.status == NOT_RUN:
        log.warning("%s: not checked: %s [%s, %s]", prefix, result.message, result.check, result.severity)
        return
    level = logging.ERROR if result.severity == ERROR else logging.WARNING
    log.log(level, "%s: %s: %s [%s]", prefix, result.severity.upper(), result.message, result.check)
    if len(result.details) > 1:
        for line in result.details[:MAX_DETAILS_LOGGED]:
            log.log(level, "%s:   %s", prefix, line)
    if len(result.details) > MAX_DETAILS_LOGGED:
        log.log(level, "%s:   … and %d more, all stored in check_results", prefix,
                len(result.details) - MAX_DETAILS_LOGGED)


def _verdict(details: list[str], passed: str, failure: str, action: str,
             facts: dict) -> tuple[str, str, list[str], dict]:
    """Passed when the check found nothing; else failed, with a summary and what to do."""
    if not details:
        return PASSED, passed, [], facts
    return FAILED, _summary(details, failure, action), details, facts


def _summary(details: list[str], noun: str, action: str) -> str:
    """One message for several findings: how many, the first, and what to do."""
    first = details[0]
    if len(details) == 1:
        return f"{first}; {action}"
    return f"{len(details)} {noun}; the first: {first}; {action}"


# --- errors ---
# Each check returns its status, its message and details in the log's words, and the facts they word
# (found: one dict per detail), from which the period report words the same finding for the accountant.

def _unbalanced_vouchers(scope: _Scope):
    found = [{"series": series, "number": int(number), "day": _day(day), "off": int(off)}
             for series, number, day, off in scope.rows("unbalanced_vouchers")]
    details = [
        f"voucher {f['series']} {f['number']} ({f['day']}) does not balance: "
        f"{'debits exceed credits' if f['off'] > 0 else 'credits exceed debits'} by {_kr(abs(f['off']))}"
        for f in found
    ]
    return _verdict(details, "every voucher balances",
                    "vouchers do not balance", f"correct them in Fortnox and {RERUN}", {"found": found})


def _closing_balances(scope: _Scope):
    found = [{"account": account, "opening": int(opening), "movement": int(movement), "closing": int(closing)}
             for account, opening, movement, closing in scope.rows("closing_balances")]
    details = [
        f"account {f['account']}: closing balance (UB) {_kr(f['closing'])} is not the opening balance (IB) "
        f"{_kr(f['opening'])} plus the year's transactions {_kr(f['movement'])} = {_kr(f['opening'] + f['movement'])}"
        for f in found
    ]
    imported = bool(found) and _imported(scope)
    return _verdict(details, "every balance account's closing balance is its opening balance plus the year's transactions",
                    "balance accounts do not add up", _inconsistent(imported), {"found": found, "imported": imported})


def _result_balances(scope: _Scope):
    found = [{"account": account, "result": int(result), "movement": int(movement)}
             for account, result, movement in scope.rows("result_balances")]
    details = [f"account {f['account']}: result (RES) {_kr(f['result'])} is not the year's transactions "
               f"{_kr(f['movement'])}" for f in found]
    imported = bool(found) and _imported(scope)
    return _verdict(details, "every result account's total is the year's transactions",
                    "result accounts do not add up", _inconsistent(imported), {"found": found, "imported": imported})


def _imported(scope: _Scope) -> bool:
    """Whether the year's books are an imported SIE file's (taken over as the file states them)."""
    return scope.db.execute(text(sql("import_source/select_active_source")), scope.params).scalar() == FILE


def _inconsistent(imported: bool) -> str:
    if imported:
        return ("the imported file states its balances so: correct the books in the program that keeps them "
                "and import the file again")
    return f"the SIE tables are inconsistent: {RERUN}, and report it if it persists"


def _fortnox_balances(scope: _Scope):
    rows = scope.rows("fortnox_balances")
    if all(stated is None for *_, stated in rows):
        return NOT_RUN, f"no balances from Fortnox's SIE export are staged for this year; {RERUN} to load them", [], {}
    imported = _imported(scope)
    source, whose = ("the imported file", "the imported file's") if imported else ("Fortnox", "Fortnox's")
    found = [{"kind": kind, "account": account, "ours": int(ours), "stated": int(stated or 0)}
             for kind, account, ours, stated in rows if ours != (stated or 0)]
    details = [
        f"account {f['account']}: our {BALANCE_NAMES[f['kind']]} {_kr(f['ours'])} is not {whose} {_kr(f['stated'])}: "
        f"off by {_kr(f['ours'] - f['stated'])}"
        for f in found
    ]
    return _verdict(details, f"every opening balance, closing balance and result is the one {source} states",
                    f"balances differ from {whose}",
                    f"the staged vouchers do not add up to {whose} balances: {RERUN}, "
                    "and report it if it persists", {"found": found, "imported": imported})


def _period_balances(scope: _Scope):
    found = [{"period": f"{period[:4]}-{period[4:]}", "account": account, "dimension": int(dimension),
              "object": object_id, "objects": _object_list(scope, dimension, object_id), "stated": int(stated),
              "computed": int(computed)}
             for period, account, dimension, object_id, stated, computed in scope.rows("period_balances")]
    details = [
        f"account {f['account']}{_objects(f)}, period {f['period']}: the source's #PSALDO states a change of "
        f"{_kr(f['stated'])}, its vouchers give {_kr(f['computed'])}: off by {_kr(f['stated'] - f['computed'])}"
        for f in found
    ]
    return _verdict(details, "every period's change the source states (#PSALDO) is the one its vouchers give",
                    "period balances differ from the vouchers",
                    f"the source's period balances do not add up to its vouchers: {RERUN} after correcting "
                    "the books where they are kept (for an imported file, in the program that wrote it)", {"found": found})


def _object_list(scope: _Scope, dimension: int, object_id: str) -> str | None:
    """The objects of a period balance stated for a list of several, as the SIE file writes them."""
    return object_list(scope.rows("object_list", list_key=object_id)) if dimension == OBJECT_LIST_DIMENSION else None


def _objects(found: dict) -> str:
    """A period balance's object as a detail names it: none, one object, or a list of several."""
    if found["objects"] is not None:
        return f" objects {found['objects']}"
    return f" object {found['object']} of dimension {found['dimension']}" if found["dimension"] else ""


def _opening_balances(scope: _Scope):
    previous = scope.rows("previous_year")
    if not previous:
        return (PASSED, "this is the first financial year in Fortnox: there is no previous closing balance to match", [],
                {"first_year": True})
    previous_id, start, end, loaded = previous[0]
    years = f"{_day(start)}..{_day(end)}"
    facts = {"start": _day(start), "end": _day(end)}
    if not loaded:
        return NOT_RUN, f"the previous financial year {years} is not loaded; {RERUN} to load it", [], facts
    found = [{"account": account, "opening": int(opening), "closing": int(closing)}
             for account, opening, closing in scope.rows("opening_balances", previous_year_id=previous_id)]
    details = [
        f"account {f['account']}: opening balance (IB) {_kr(f['opening'])} is not the previous year's closing balance "
        f"(UB) {_kr(f['closing'])}: off by {_kr(f['opening'] - f['closing'])}"
        for f in found
    ]
    return _verdict(details, f"every opening balance is the closing balance of {years}",
                    f"opening balances differ from the closing balances of {years}",
                    f"check the year-end closing of {years} and the opening balances in Fortnox, then {RERUN}",
                    {**facts, "found": found})


def _organisation_number(scope: _Scope):
    client = scope.client
    found = [{"source": source, "name": name, "number": number}
             for source, name, number in scope.rows("organisation_number")
             # the same number written otherwise (without the hyphen, with the century) is the client's
             if number is None or not same_organisation(number, client.organisation_number)]
    details = [f"no company information from Fortnox is staged for client {client.key}" if f["number"] is None
               else f"{f['source']} has company {f['name']!r} with organisation number {f['number']}, "
                    f"but client {client.key} is {client.organisation_number}"
               for f in found]
    return _verdict(details, f"the staged company is the client's, {client.organisation_number}",
                    "companies differ from the client",
                    "reconnect the client with the right Fortnox company or correct config/clients.yaml, "
                    f"then {RERUN}", {"found": found, "client": client.key, "organisation_number": client.organisation_number})


def _loaded_counts(scope: _Scope):
    rows = scope.rows("loaded_counts")
    if not rows:
        return FAILED, f"no load of this financial year matches the staged chart of accounts; {RERUN}", [], {"no_load": True}
    row = rows[0]._mapping
    found = [{"what": what, "loaded": int(row[loaded]), "staged": int(row[raw_table]), "sie": int(row[sie_table])}
             for what, loaded, raw_table, sie_table in (
                 ("accounts", "accounts", "raw_accounts", "sie_accounts"),
                 ("vouchers", "vouchers", "raw_vouchers", "sie_vouchers"),
                 ("voucher rows", "voucher_rows", "raw_voucher_rows", "sie_transactions"))
             if not row[loaded] == row[raw_table] == row[sie_table]]
    details = [f"the load of {row['finished_at']} staged {_count(f['loaded'])} {f['what']}, "
               f"but staging holds {_count(f['staged'])} and the SIE tables {_count(f['sie'])}" for f in found]
    counts = {name: int(row[name]) for name in ("accounts", "vouchers", "voucher_rows")}
    return _verdict(details, (f"staging holds all {_count(counts['vouchers'])} vouchers, {_count(counts['voucher_rows'])} "
                              f"rows and {_count(counts['accounts'])} accounts the load staged"),
                    "counts differ", f"{RERUN} to load the year again",
                    {"found": found, "finished_at": str(row["finished_at"]), **counts})


def _fortnox_totals(scope: _Scope):
    rows = scope.rows("fortnox_totals")
    if not rows:
        return NOT_RUN, f"no load of this financial year matches the staged chart of accounts; {RERUN}", [], {"no_load": True}
    finished_at, accounts, accounts_reported, vouchers, vouchers_reported = rows[0]
    if accounts_reported is None and vouchers_reported is None:
        return NOT_RUN, (f"not recorded: the load of {finished_at} did not keep Fortnox's own totals "
                         f"(@TotalResources); {RERUN} to record them"), [], {"finished_at": str(finished_at)}
    # Fewer is a loss; more is not: a voucher booked between Fortnox's list and its SIE export is in the file.
    found = [{"what": what, "got": int(got), "reported": int(reported)}
             for what, got, reported in (("accounts", accounts, accounts_reported), ("vouchers", vouchers, vouchers_reported))
             if reported is not None and got < reported]
    details = [f"Fortnox reported {_count(f['reported'])} {f['what']} for the year, but after the load of {finished_at} "
               f"staging holds {_count(f['got'])}" for f in found]
    return _verdict(details, "the load received every account and voucher Fortnox reported",
                    "totals fall short of Fortnox's",
                    f"{RERUN}; if it persists, pages of Fortnox's lists were lost",
                    {"found": found, "finished_at": str(finished_at)})


# --- warnings ---

def _voucher_number_gaps(scope: _Scope):
    found = [{"series": series, "first": int(first), "last": int(last)}
             for series, first, last in scope.rows("voucher_number_gaps")]
    details = [
        f"series {f['series']}: voucher {f['first']} is missing" if f["first"] == f["last"]
        else f"series {f['series']}: vouchers {f['first']} to {f['last']} are missing ({f['last'] - f['first'] + 1} numbers)"
        for f in found
    ]
    return _verdict(details, "every voucher series is numbered without gaps",
                    "gaps in voucher numbering",
                    f"check in Fortnox whether the vouchers exist; if they do, {RERUN}", {"found": found})


def _vouchers_without_rows(scope: _Scope):
    found = [{"series": series, "number": int(number), "day": _day(day)}
             for series, number, day in scope.rows("vouchers_without_rows")]
    details = [f"voucher {f['series']} {f['number']} ({f['day']}) has no rows" for f in found]
    return _verdict(details, "every voucher has rows", "vouchers without rows",
                    "remove them, or book their rows, where the books are kept", {"found": found})


def _ledger_control_accounts(scope: _Scope):
    rows = scope.rows("ledger_control_accounts")
    facts = {"period_end": scope.period_end.isoformat()}
    if not rows:
        return NOT_RUN, (f"the customer and supplier ledgers were not reconciled for {scope.period_end}; "
                         "run the ledger steps of the period first"), [], facts
    names = {"customer": "customer ledger", "supplier": "supplier ledger"}
    found = [{"ledger": ledger, "account": int(account), "items": int(items), "ledger_ore": int(ledger_ore),
              "account_ore": int(account_ore), "difference": int(difference), "explained": int(explained)}
             for ledger, account, items, ledger_ore, account_ore, difference, explained in rows if difference]
    differences = [
        f"{names.get(f['ledger'], f['ledger'])} {_kr(f['ledger_ore'])} ({_count(f['items'])} open invoices) differs "
        f"from account {f['account']} {_kr(f['account_ore'])} by {_kr(f['difference'])}"
        + (f"; {_kr(f['explained'])} of it explained below" if f["explained"] else "; nothing found to explain it")
        for f in found
    ]
    if not differences:
        return (PASSED, f"the customer and supplier ledgers agree with their control accounts at {scope.period_end}",
                [], facts)
    # The ledger step words its explanations in Swedish already (the ledger appendix is the accountant's).
    explained = [{"ledger": ledger, "explanation": explanation}
                 for ledger, explanation, _ in scope.rows("ledger_differences")]
    explanations = [f"{names.get(e['ledger'], e['ledger'])}: {e['explanation']}" for e in explained]
    message = _summary(differences, "ledgers differ from their control accounts",
                       f"correct the invoices or vouchers in Fortnox (see the ledger appendix) and {RERUN}")
    return FAILED, message, differences + explanations, {**facts, "found": found, "explanations": explained}


def _year_end_closing(scope: _Scope):
    start, end, result, closed, booked_2099 = scope.rows("year_end_closing")[0]
    end = dt.date.fromisoformat(_day(end))
    year = f"{_day(start)}..{end}"
    facts = {"start": _day(start), "end": end.isoformat(), "result": int(result), "closed": int(closed),
             "booked_2099": int(booked_2099)}
    if scope.period_end < end:
        return PASSED, f"not due: the financial year {year} has not ended", [], {**facts, "due": False}
    if result == 0 or (result + closed == 0 and booked_2099 == result):
        return PASSED, f"the result of {year} is booked to 2099", [], {**facts, "due": True}
    outcome = f"{'profit' if result < 0 else 'loss'} of {_kr(abs(result))}"
    if closed == 0:
        finding = f"the year {year} has ended but its result, a {outcome}, is not booked: no voucher books 8999 against 2099"
    else:
        finding = (f"the year {year} has ended but its closing does not match its result, a {outcome}: "
                   f"8999 carries {_kr(closed)} and 2099 {_kr(booked_2099)} in the closing vouchers")
    return (FAILED, f"{finding}; book the year's result (8999 against 2099) in Fortnox and {RERUN}", [finding],
            {**facts, "due": True})


def _dimension_objects(scope: _Scope):
    counts = {dimension: objects for dimension, objects in scope.rows("dimension_objects")}
    # Objects declared (#OBJEKT) but not used still reach the closing tool.
    for dimension, objects in scope.rows("declared_objects"):
        counts[dimension] = max(counts.get(dimension, 0), objects)
    found = [{"dimension": dimension, "objects": int(counts[dimension])}
             for dimension in sorted(DIMENSION_NAMES) if counts.get(dimension, 0) > MAX_OBJECTS_PER_DIMENSION]
    details = [
        f"the year has {_count(f['objects'])} {DIMENSION_NAMES[f['dimension']]} (dimension {f['dimension']}), "
        f"more than {MAX_OBJECTS_PER_DIMENSION}"
        for f in found
    ]
    used = ", ".join(f"{_count(counts.get(d, 0))} {DIMENSION_NAMES[d]}" for d in sorted(DIMENSION_NAMES))
    return _verdict(details, f"{used}, within {MAX_OBJECTS_PER_DIMENSION} each",
                    "dimensions with too many objects",
                    "that many is unusual for one company: check in Fortnox that they are not created by "
                    "mistake (for example one per invoice)",
                    {"found": found, "objects": {str(d): int(counts.get(d, 0)) for d in sorted(DIMENSION_NAMES)},
                     "limit": MAX_OBJECTS_PER_DIMENSION})


def _undeclared(scope: _Scope):
    words = {"account": lambda _, item: f"account {item} is used but not declared (#KONTO); it was created without a name",
             "dimension": lambda dimension, _: f"dimension {dimension} is used but not declared (#DIM)",
             "object": lambda dimension, item: f"object {item!r} of dimension {dimension} is used but not declared (#OBJEKT)"}
    found = [{"kind": kind, "dimension": int(dimension), "item": item} for kind, dimension, item in scope.rows("undeclared")]
    details = [words[f["kind"]](f["dimension"], f["item"]) for f in found]
    return _verdict(details, "every account, dimension and object used is declared",
                    "accounts, dimensions or objects used but not declared",
                    "name them in the books' source (or in Fortnox) if the closing needs their names", {"found": found})


CHECKS: tuple[_Check, ...] = (
    _Check("unbalanced_vouchers", ERROR, _unbalanced_vouchers),
    _Check("closing_balances", ERROR, _closing_balances),
    _Check("result_balances", ERROR, _result_balances),
    _Check("fortnox_balances", ERROR, _fortnox_balances),
    _Check("period_balances", ERROR, _period_balances),
    _Check("opening_balances", ERROR, _opening_balances),
    _Check("organisation_number", ERROR, _organisation_number),
    _Check("loaded_counts", ERROR, _loaded_counts),
    _Check("fortnox_totals", ERROR, _fortnox_totals),
    _Check("voucher_number_gaps", WARNING, _voucher_number_gaps),
    _Check("vouchers_without_rows", WARNING, _vouchers_without_rows),
    _Check("ledger_control_accounts", WARNING, _ledger_control_accounts),
    _Check("year_end_closing", WARNING, _year_end_closing),
    _Check("dimension_objects", WARNING, _dimension_objects),
    _Check("undeclared", WARNING, _undeclared),
)


def _kr(ore: int) -> str:
    """Öre as kronor with a space between thousands: 1 234 567.50 kr."""
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(int(ore)), 100)
    return f"{sign}{whole:,}.{cents:02d} kr".replace(",", " ")


def _count(number: int) -> str:
    return f"{int(number):,}".replace(",", " ")


def _day(value: object) -> str:
    """A date as YYYY-MM-DD, from PostgreSQL's date or SQLite's text."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]
