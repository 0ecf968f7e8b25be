"""The checks that gate a period, on books synced from the sandbox into SQLite and PostgreSQL.

Clean books of every size and fiscal year pass every check; each check then fires on books broken on
purpose in staging, naming the voucher, account or amount. Expected figures come from the generator.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from functools import cache

import pytest
from sqlalchemy import text

from fortnox_etl.config import Client
from fortnox_etl.period_end import checks, ledger_reconciliation, ledgers, sie_file
from fortnox_etl.sandbox.generator import CompanySpec, generate_company, organisation_number_with_check_digit
from fortnox_etl.sandbox.running import RunningSandbox
from sync_helpers import run_sync

# Three financial years, so that the middle one has a previous year and a booked year-end closing.
SPECS = {
    "S-calendar": CompanySpec(7101, organisation_number_with_check_digit("556201234"), "Kontrollbygget i Kumla AB",
                              size="S", years=3, seed=5),
    "S-broken-year": CompanySpec(7102, organisation_number_with_check_digit("556301234"), "Brutna Året i Borås AB",
                                 fiscal_year_start_month=7, size="S", years=3, seed=6),
    "M-broken-year": CompanySpec(7103, organisation_number_with_check_digit("556401234"), "Mellanbolaget i Mjölby AB",
                                 fiscal_year_start_month=9, size="M", years=3, seed=7),
}
SMALL = "S-calendar"


@cache
def books() -> list:
    return [generate_company(spec) for spec in SPECS.values()]


@pytest.fixture
def companies():
    return books()


@pytest.fixture
def sandbox(companies):
    """Without Fortnox's rate limit: these tests are about the checks, and a medium company's ledgers
    would otherwise wait out the limit for a minute (the limit has tests of its own)."""
    with RunningSandbox(companies, rate_limit=False) as running:
        yield running


@pytest.fixture
def app(app):
    """The bureau's app asking for the ledger scopes too, so the ledger check has a reconciliation to read."""
    return dataclasses.replace(app, scopes=app.scopes + ledgers.LEDGER_SCOPES)


def company_named(label: str):
    return books()[list(SPECS).index(label)]


def client_of(company) -> Client:
    spec = company.spec
    return Client(f"client_{spec.tenant_id}", spec.name, spec.organisation_number, spec.fiscal_year_start_month)


@dataclasses.dataclass
class Synced:
    ctx: object
    company: object
    year_id: int
    period_end: dt.date

    def run(self) -> dict[str, checks.CheckResult]:
        return {r.check: r for r in checks.run_checks(self.ctx, self.year_id, self.period_end)}

    def execute(self, statement: str, **params) -> int:
        with self.ctx.engine.begin() as connection:
            return connection.execute(text(statement), {"k": self.ctx.client.key, **params}).rowcount


def synced(make_context, label: str = SMALL, year_index: int = 1, with_ledgers: bool = False) -> Synced:
    """The company's books synced for the last month of one of its years (the middle one by default)."""
    company = company_named(label)
    year = company.financial_years[year_index]
    period_end = dt.date.fromisoformat(year["ToDate"])
    ctx = dataclasses.replace(make_context(client_of(company)), requests_per_window=10_000)  # no limit to keep
    run_sync(ctx, f"{period_end:%Y-%m}")
    if with_ledgers:
        ledgers.extract_ledgers(ctx, period_end)
        ledger_reconciliation.build_ledgers(ctx, period_end)
    return Synced(ctx, company, int(year["Id"]), period_end)


def rebuild_sie_tables(s: Synced) -> None:
    sie_file.build_sie_tables(s.ctx, [{"id": y["Id"], "from_date": y["FromDate"], "to_date": y["ToDate"]}
                                  for y in s.company.financial_years if y["Id"] in (s.year_id - 1, s.year_id)])


def vouchers(company, year_id: int) -> dict[tuple[str, int], dict]:
    return {(v["VoucherSeries"], int(v["VoucherNumber"])): v for v in company.vouchers[year_id]}


def stored(s: Synced) -> dict[str, tuple]:
    with s.ctx.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT check_name, severity, status, passed, message, details FROM check_results "
            "WHERE client_key = :k AND financial_year_id = :y AND period_end = :p"),
            {"k": s.ctx.client.key, "y": s.year_id, "p": s.period_end.isoformat()}).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def assert_fires(result: checks.CheckResult, severity: str, *words: str) -> None:
    assert (result.severity, result.status) == (severity, "failed"), result
    for word in words:
        assert word in result.message, f"{word!r} not in {result.message!r}"


# --- clean books ---

@pytest.mark.parametrize("label", list(SPECS))
def test_clean_books_pass_every_check(make_context, label, caplog):
    s = synced(make_context, label, with_ledgers=True)
    caplog.set_level(logging.INFO, logger="fortnox_etl.period_end.checks")
    results = s.run()

    assert list(results) == [check.name for check in checks.CHECKS]
    assert {name: r.status for name, r in results.items()} == {name: "passed" for name in results}
    assert "is booked to 2099" in results["year_end_closing"].message
    assert "closing balance of" in results["opening_balances"].message
    assert "the one Fortnox states" in results["fortnox_balances"].message
    checks.gate(list(results.values()))

    rows = stored(s)
    assert set(rows) == set(results)
    assert rows["unbalanced_vouchers"][:3] == ("error", "passed", True)
    assert (f"client {s.ctx.client.key}, period {s.period_end:%Y-%m}: passed: every voucher balances "
            "[unbalanced_vouchers]") in caplog.text


def test_the_first_financial_year_has_no_opening_balance_to_match(make_context):
    results = synced(make_context, year_index=0).run()
    assert results["opening_balances"].passed
    assert "first financial year" in results["opening_balances"].message


# --- errors, each fired by books broken on purpose ---

def test_a_voucher_that_does_not_balance_fails_the_period(make_context, caplog):
    s = synced(make_context)
    day = vouchers(s.company, s.year_id)[("A", 3)]["TransactionDate"]
    # Broken as Fortnox could send it, then built into the SIE tables as the sync does.
    s.execute("UPDATE raw_voucher_rows SET debit_ore = debit_ore + 1250 WHERE client_key = :k "
              "AND financial_year_id = :y AND voucher_series = 'A' AND voucher_number = 3 AND row_no = 1", y=s.year_id)
    rebuild_sie_tables(s)
    results = s.run()
    assert_fires(results["unbalanced_vouchers"], "error",
                 f"voucher A 3 ({day}) does not balance: debits exceed credits by 12.50 kr", "correct them in Fortnox")
    assert results["unbalanced_vouchers"].details == [
        f"voucher A 3 ({day}) does not balance: debits exceed credits by 12.50 kr"]
    with pytest.raises(checks.PeriodChecksFailed, match=r"3 error\(s\): voucher A 3 .* 12\.50 kr.* \[unbalanced_vouchers\]") as failed:
        checks.gate(list(results.values()))
    # Fortnox's balances and period changes do not know the extra 12.50 kr either.
    assert [r.check for r in failed.value.results] == ["unbalanced_vouchers", "fortnox_balances", "period_balances"]
    assert "off by 12.50 kr" in results["fortnox_balances"].message
    assert f"period {day[:7]}: the source's #PSALDO states a change of" in results["period_balances"].message
    assert "off by -12.50 kr" in results["period_balances"].message
    assert f"period {s.period_end:%Y-%m}: ERROR: voucher A 3 ({day}) does not balance" in caplog.text
    assert stored(s)["unbalanced_vouchers"][:3] == ("error", "failed", False)


def test_removed_rows_do_not_count_toward_a_voucher(make_context):
    s = synced(make_context)
    assert s.execute("UPDATE raw_voucher_rows SET debit_ore = debit_ore + 999999 WHERE client_key = :k "
                     "AND financial_year_id = :y AND removed", y=s.year_id)
    assert s.run()["unbalanced_vouchers"].passed


def test_a_closing_balance_that_is_not_opening_plus_transactions_fails(make_context):
    s = synced(make_context)
    s.execute("UPDATE sie_balances SET amount_ore = amount_ore - 100000 WHERE client_key = :k "
              "AND financial_year_id = :y AND balance_type = 'UB' AND account = '1930'", y=s.year_id)
    accounts = {a["Number"]: a for a in s.company.accounts[s.year_id]}
    closing = round(accounts[1930]["BalanceCarriedForward"] * 100)
    result = s.run()["closing_balances"]
    assert_fires(result, "error", "account 1930: closing balance (UB)", checks._kr(closing - 100000),
                 f"= {checks._kr(closing)}")
    assert len(result.details) == 1


def test_a_result_that_is_not_the_years_transactions_fails(make_context):
    s = synced(make_context)
    s.execute("UPDATE sie_balances SET amount_ore = amount_ore + 5000 WHERE client_key = :k "
              "AND financial_year_id = :y AND balance_type = 'RES' AND account = '3001'", y=s.year_id)
    sales = sum(round((row["Debit"] - row["Credit"]) * 100) for v in s.company.vouchers[s.year_id]
                for row in v["VoucherRows"] if row["Account"] == 3001 and not row["Removed"])
    assert_fires(s.run()["result_balances"], "error",
                 f"account 3001: result (RES) {checks._kr(sales + 5000)} is not the year's transactions {checks._kr(sales)}")


def test_balances_that_differ_from_fortnoxs_own_fail(make_context):
    s = synced(make_context)
    assert s.run()["fortnox_balances"].passed
    # A row lost on the way: our balances no longer add up to the ones Fortnox states.
    lost = next(row for row in vouchers(s.company, s.year_id)[("A", 2)]["VoucherRows"] if row["Account"] < 3000)
    row_no = vouchers(s.company, s.year_id)[("A", 2)]["VoucherRows"].index(lost) + 1
    s.execute("DELETE FROM raw_voucher_rows WHERE client_key = :k AND financial_year_id = :y "
              "AND voucher_series = 'A' AND voucher_number = 2 AND row_no = :n", y=s.year_id, n=row_no)
    rebuild_sie_tables(s)
    amount = round((lost["Debit"] - lost["Credit"]) * 100)
    accounts = {a["Number"]: a for a in s.company.accounts[s.year_id]}
    closing = round(accounts[lost["Account"]]["BalanceCarriedForward"] * 100)
    result = s.run()["fortnox_balances"]
    assert_fires(result, "error", f"account {lost['Account']}: our closing balance (UB) {checks._kr(closing - amount)} "
                                  f"is not Fortnox's {checks._kr(closing)}: off by {checks._kr(-amount)}")

    s.execute("DELETE FROM raw_sie_balances WHERE client_key = :k AND financial_year_id = :y", y=s.year_id)
    result = s.run()["fortnox_balances"]
    assert result.status == "not_run" and "no balances from Fortnox's SIE export are staged" in result.message


def test_an_opening_balance_that_is_not_last_years_closing_balance_fails(make_context):
    s = synced(make_context)
    s.execute("UPDATE sie_balances SET amount_ore = amount_ore + 25000 WHERE client_key = :k "
              "AND financial_year_id = :y AND balance_type = 'UB' AND account = '1510'", y=s.year_id - 1)
    previous = s.company.financial_years[0]
    result = s.run()["opening_balances"]
    assert_fires(result, "error", "account 1510: opening balance (IB)", "off by -250.00 kr",
                 f"{previous['FromDate']}..{previous['ToDate']}")

    s.execute("DELETE FROM load_runs WHERE client_key = :k AND financial_year_id = :y", y=s.year_id - 1)
    result = s.run()["opening_balances"]
    assert result.status == "not_run" and "is not loaded" in result.message


def test_a_company_with_another_organisation_number_fails(make_context):
    s = synced(make_context)
    s.execute("UPDATE raw_company_information SET organisation_number = '559012-3450' WHERE client_key = :k")
    assert_fires(s.run()["organisation_number"], "error", "559012-3450", s.company.spec.organisation_number,
                 "reconnect the client")
    s.execute("DELETE FROM raw_company_information WHERE client_key = :k")
    assert_fires(s.run()["organisation_number"], "error", "no company information from Fortnox is staged")


def test_staging_that_lost_rows_of_the_load_fails(make_context):
    s = synced(make_context)
    rows = sum(len(v["VoucherRows"]) for v in s.company.vouchers[s.year_id])
    s.execute("DELETE FROM raw_voucher_rows WHERE client_key = :k AND financial_year_id = :y "
              "AND voucher_series = 'A' AND voucher_number = 1 AND row_no = 1", y=s.year_id)
    result = s.run()["loaded_counts"]
    assert_fires(result, "error", f"staged {checks._count(rows)} voucher rows",
                 f"staging holds {checks._count(rows - 1)} and the SIE tables {checks._count(rows - 1)}", "rerun the period")


def test_a_load_short_of_fortnoxs_totals_fails(make_context):
    s = synced(make_context)
    assert s.run()["fortnox_totals"].passed
    vouchers_loaded = len(s.company.vouchers[s.year_id])
    s.execute("UPDATE load_runs SET fortnox_vouchers_reported = vouchers + 3")
    assert_fires(s.run()["fortnox_totals"], "error", f"Fortnox reported {checks._count(vouchers_loaded + 3)} vouchers",
                 f"staging holds {checks._count(vouchers_loaded)}")
    # A voucher booked between Fortnox's list and its SIE export is received, not lost.
    s.execute("UPDATE load_runs SET fortnox_vouchers_reported = vouchers - 1")
    assert s.run()["fortnox_totals"].passed
    s.execute("UPDATE load_runs SET fortnox_vouchers_reported = NULL, fortnox_accounts_reported = NULL")
    result = s.run()["fortnox_totals"]
    assert result.status == "not_run" and result.message.startswith("not recorded")


# --- warnings: stored and logged, never failing the period ---

def test_gaps_in_voucher_numbering_warn(make_context):
    s = synced(make_context)
    for table in ("raw_voucher_rows", "raw_vouchers"):
        s.execute(f"DELETE FROM {table} WHERE client_key = :k AND financial_year_id = :y "
                  "AND voucher_series = 'A' AND (voucher_number = 5 OR voucher_number BETWEEN 8 AND 10)", y=s.year_id)
    results = s.run()
    assert_fires(results["voucher_number_gaps"], "warning", "2 gaps in voucher numbering",
                 "series A: voucher 5 is missing")
    assert results["voucher_number_gaps"].details == [
        "series A: voucher 5 is missing", "series A: vouchers 8 to 10 are missing (3 numbers)"]
    checks.gate([r for r in results.values() if r.severity == "warning"])


def test_a_ledger_that_differs_from_its_control_account_warns(make_context):
    s = synced(make_context)
    result = s.run()["ledger_control_accounts"]
    assert result.status == "not_run" and "run the ledger steps of the period first" in result.message

    ledgers.extract_ledgers(s.ctx, s.period_end)
    ledger_reconciliation.build_ledgers(s.ctx, s.period_end)
    assert s.run()["ledger_control_accounts"].passed
    s.execute("UPDATE ledger_reconciliation SET ledger_open_ore = ledger_open_ore + 50000, "
              "difference_ore = difference_ore + 50000 WHERE client_key = :k AND ledger = 'customer'")
    assert_fires(s.run()["ledger_control_accounts"], "warning", "customer ledger", "differs from account 1510",
                 "by 500.00 kr", "nothing found to explain it")


def test_a_year_ended_without_its_result_booked_to_2099_warns(make_context):
    s = synced(make_context, year_index=2)  # the last year: the sandbox has not closed it
    result_ore = sum(round((row["Debit"] - row["Credit"]) * 100) for v in s.company.vouchers[s.year_id]
                     for row in v["VoucherRows"] if row["Account"] >= 3000 and not row["Removed"])
    results = s.run()
    assert result_ore
    outcome = f"{'profit' if result_ore < 0 else 'loss'} of {checks._kr(abs(result_ore))}"
    assert_fires(results["year_end_closing"], "warning", outcome, "no voucher books 8999 against 2099")
    assert not [r for r in results.values() if r.failed and r.severity == "error"]
    checks.gate(list(results.values()))

    before_year_end = checks.run_checks(s.ctx, s.year_id, s.period_end - dt.timedelta(days=31))
    assert next(r for r in before_year_end if r.check == "year_end_closing").message.startswith("not due")


def test_more_than_500_cost_centres_warn(make_context):
    s = synced(make_context)
    s.execute("UPDATE raw_voucher_rows SET cost_center = voucher_series || CAST(voucher_number * 100 + row_no AS VARCHAR(10)) "
              "WHERE client_key = :k AND financial_year_id = :y", y=s.year_id)
    rows = sum(len(v["VoucherRows"]) for v in s.company.vouchers[s.year_id])
    assert rows > 500
    assert_fires(s.run()["dimension_objects"], "warning",
                 f"the year has {checks._count(rows)} cost centres (dimension 1), more than 500")


# --- storage ---

def test_a_rerun_replaces_the_periods_results(make_context):
    s = synced(make_context)
    s.run()
    s.execute("UPDATE raw_voucher_rows SET credit_ore = credit_ore + 1 WHERE client_key = :k "
              "AND financial_year_id = :y AND voucher_series = 'B' AND voucher_number = 1 AND row_no = 1", y=s.year_id)
    s.run()
    rows = stored(s)
    assert len(rows) == len(checks.CHECKS)
    status, message, details = rows["unbalanced_vouchers"][1], rows["unbalanced_vouchers"][3], rows["unbalanced_vouchers"][4]
    assert status == "failed" and "voucher B 1" in message and "credits exceed debits by 0.01 kr" in details
    with s.ctx.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM check_results")).scalar() == len(checks.CHECKS)
