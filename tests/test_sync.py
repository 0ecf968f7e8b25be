"""A client's sync against the sandbox, on SQLite and PostgreSQL: the SIE4 file, reruns, wrong companies."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from fortnox_etl.extract import sync
from fortnox_etl.fortnox.errors import WrongCompany
from fortnox_etl.period import Period, PeriodError
from fortnox_etl.sie.reader import read_sie
from fortnox_etl.sie.rules import rule_violations
from sync_helpers import run_sync, staging_snapshot, year_end


@pytest.mark.parametrize("client_index", [0, 1], ids=["calendar-year", "broken-year"])
def test_sync_writes_a_valid_sie4_file_with_all_of_fortnox_books(make_context, clients, companies, client_index, sandbox):
    client, company = clients[client_index], companies[client_index]
    summary = run_sync(make_context(client), year_end(company))
    tenant = company.spec.tenant_id
    assert sandbox.state.request_count(tenant, "/3/sie/4") == 2, "one SIE export per financial year"
    assert sandbox.state.request_count(tenant, "/3/vouchers/") == 0, "never one request per voucher"
    assert sandbox.state.request_count(tenant) <= 12

    data = summary.path.read_bytes()
    data.decode("cp437")
    assert "å".encode("cp437") in data or "ä".encode("cp437") in data, "Swedish letters written in CP437"
    assert data.startswith(b"#FLAGGA 0\r\n")
    sie = read_sie(summary.path)
    assert rule_violations(sie) == []
    for label in ("#PROGRAM", "#FORMAT", "#GEN", "#SIETYP", "#FNR", "#ORGNR", "#FNAMN"):
        assert sie.header(label), f"{label} missing"
    assert sie.header("#ORGNR") == client.organisation_number
    current = company.financial_years[-1]
    assert sie.years[0][0].isoformat() == current["FromDate"] and sie.years[0][1].isoformat() == current["ToDate"]
    assert -1 in sie.years and any(index == -1 for index, _ in sie.closing), "previous year's balances"

    expected_vouchers = company.vouchers[current["Id"]]
    assert len(sie.vouchers) == summary.vouchers == len(expected_vouchers)
    expected_rows = sum(len(v["VoucherRows"]) for v in expected_vouchers)
    assert sum(len(v.transactions) for v in sie.vouchers) == summary.transactions == expected_rows
    assert all(t.date is None for v in sie.vouchers for t in v.transactions), "Fortnox's rows have no date of their own"
    removed = sum(1 for v in expected_vouchers for r in v["VoucherRows"] if r["Removed"])
    assert removed and sum(1 for v in sie.vouchers for t in v.transactions if t.kind == "BTRANS") == removed
    assert set(sie.account_types) == set(sie.accounts) and len(sie.accounts) == len(company.accounts[current["Id"]])

    # The closing balances are Fortnox's own, not only consistent with themselves.
    for account in company.accounts[current["Id"]]:
        number = str(account["Number"])  # SIE keeps account numbers as written
        if account["Number"] < 3000:
            assert sie.closing.get((0, number), 0) == round(account["BalanceCarriedForward"] * 100), number


def test_running_the_same_client_twice_leaves_staging_as_after_one_run(make_context, clients, companies):
    ctx = make_context(clients[0])
    first_file = run_sync(ctx, year_end(companies[0])).path.read_bytes()
    after_one = staging_snapshot(ctx.engine)
    second_file = run_sync(ctx, year_end(companies[0])).path.read_bytes()
    after_two = staging_snapshot(ctx.engine)
    assert after_one == after_two
    assert all(after_one[t] for t in ("raw_vouchers", "raw_voucher_rows", "sie_transactions", "sie_balances"))
    assert first_file == second_file
    with ctx.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM load_runs")).scalar() == 4, "one logged load per year and run"


def test_a_connection_to_another_company_loads_nothing(make_context, clients, companies):
    ctx = make_context(clients[0])
    impostor = dataclasses.replace(clients[0], organisation_number="559012-3450")
    wrong = dataclasses.replace(ctx, client=impostor)
    with pytest.raises(WrongCompany, match="559012-3450.*Nothing was loaded"):
        sync.extract_company(wrong, Period.parse(year_end(companies[0])))
    with ctx.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM raw_company_information")).scalar() == 0


def test_a_period_outside_every_financial_year_is_refused(make_context, clients):
    ctx = make_context(clients[0])
    with pytest.raises(PeriodError, match="no financial year that contains 2019-05"):
        sync.extract_company(ctx, Period.parse("2019-05"))
