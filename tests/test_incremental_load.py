"""Incremental loads with `lastmodified`: taken only when cheaper, said why in the log, and leaving
staging exactly as a full load would; every load's resources are recorded with the next cursor."""
from __future__ import annotations

import logging
import time

import pytest
import requests
from sqlalchemy import text

from fortnox_etl.config import Client
from fortnox_etl.connections import token_upkeep
from fortnox_etl.extract import sync
from fortnox_etl.extract.load_stats import load_resources
from fortnox_etl.period import Period
from fortnox_etl.period_end import sie_file
from fortnox_etl.period_end.sie_import import import_sie_file
from fortnox_etl.sandbox.generator import CompanySpec, generate_company
from sync_helpers import staging_snapshot

MEDIUM = Client(key="medium", name="Mellanstora Mora AB", organisation_number="556000-0001", fiscal_year_start_month=1)
SMALL = Client(key="small", name="Lilla Lund AB", organisation_number="556677-8899", fiscal_year_start_month=1)
CURRENT_YEAR = 2  # 2025 of the generated books


@pytest.fixture(scope="module")
def companies():
    """The sandbox's companies for this module: an M-size one (5,000 vouchers a year) and an S-size one."""
    return [generate_company(CompanySpec(3001, MEDIUM.organisation_number, MEDIUM.name, size="M", seed=11)),
            generate_company(CompanySpec(3002, SMALL.organisation_number, SMALL.name, size="S", seed=12))]


def load_year(ctx, caplog) -> tuple[dict, str]:
    """Extract the current year as the sync DAG does; its counts and the log line saying which path was taken."""
    token_upkeep.keep_tokens_alive(ctx)
    years = sync.extract_company(ctx, Period.parse("2025-12"))["years"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fortnox_etl.extract.sync"):
        counts = sync.extract_financial_year(ctx, years[-1])
    path_line = next(message for message in caplog.messages if " is loaded " in message)
    sie_file.build_sie_tables(ctx, years)
    return counts, path_line


def post_voucher(ctx, sandbox, day: str) -> dict:
    token = ctx.tokens().access_token(ctx.client.key)
    answer = requests.post(f"{sandbox.base_url}/3/vouchers", params={"financialyear": CURRENT_YEAR}, timeout=10,
                           headers={"Authorization": f"Bearer {token}"}, json={"Voucher": {
                               "VoucherSeries": "A", "TransactionDate": day, "Description": "Periodisering av hyra",
                               "VoucherRows": [{"Account": 1710, "Debit": 12500.5, "Credit": 0},
                                               {"Account": 5010, "Debit": 0, "Credit": 12500.5}]}})
    assert answer.status_code == 201, answer.text
    return answer.json()["Voucher"]


def requests_per_path(sandbox) -> dict[str, int]:
    return dict(sandbox.requests(3001))


def forget_cursors(ctx) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(text("DELETE FROM load_resources"))


def test_a_year_with_few_changes_loads_incrementally_and_stages_what_a_full_load_would(
        make_context, sandbox, caplog):
    ctx = make_context(MEDIUM)
    full_counts, full_line = load_year(ctx, caplog)
    assert "loaded in full: it has no earlier load" in full_line
    posted = post_voucher(ctx, sandbox, "2025-12-15")
    time.sleep(5)  # the test's own POST passed our rate limiter by; let the sandbox's 5 s window slide

    before = requests_per_path(sandbox)
    counts, line = load_year(ctx, caplog)
    assert "loaded incrementally: 1 voucher changed since" in line, line
    # The list entry of the new voucher carries no TransactionDate: one read of the single voucher.
    assert "they cost 3 more requests and the file from 2025-12-15 on" in line, line
    assert "against 12 requests and all" in line, line
    # The changed vouchers, the new one's date, Fortnox's count and the file from 2025-12-15, beside the
    # accounts, cost centre and project lists and extract_company's two (company, financial years).
    after = requests_per_path(sandbox)
    assert after["/3/sie/4"] - before["/3/sie/4"] == 1
    assert after["/3/vouchers"] - before["/3/vouchers"] == 2, "no full voucher list"
    assert after[f"/3/vouchers/A/{posted['VoucherNumber']}"] - before.get(f"/3/vouchers/A/{posted['VoucherNumber']}", 0) == 1
    assert sum(after.values()) - sum(before.values()) == 3 + 1 + 3 + 2
    assert counts["vouchers"] == full_counts["vouchers"] + 1 == counts["fortnox_vouchers_reported"]
    with ctx.engine.connect() as connection:
        staged = connection.execute(text(
            "SELECT COUNT(*) FROM raw_voucher_rows WHERE client_key = 'medium' AND financial_year_id = 2 "
            "AND voucher_series = 'A' AND voucher_number = :number"), {"number": posted["VoucherNumber"]}).scalar()
    assert staged == 2

    after_incremental = staging_snapshot(ctx.engine)
    forget_cursors(ctx)
    _, line = load_year(ctx, caplog)
    assert "loaded in full" in line
    assert staging_snapshot(ctx.engine) == after_incremental, "the incremental load staged what a full load stages"


def test_a_change_early_in_the_year_makes_the_full_file_the_cheaper_work(make_context, sandbox, caplog):
    ctx = make_context(MEDIUM)
    load_year(ctx, caplog)
    post_voucher(ctx, sandbox, "2025-01-01")
    counts, line = load_year(ctx, caplog)
    assert "loaded in full: 1 voucher changed since" in line and "the file from that date is the whole year" in line
    assert counts["vouchers"] == counts["fortnox_vouchers_reported"]


def test_an_unchanged_year_costs_a_few_requests_and_records_the_next_cursor(make_context, sandbox, caplog):
    ctx = make_context(MEDIUM)
    first, _ = load_year(ctx, caplog)
    counts, line = load_year(ctx, caplog)
    assert "loaded incrementally: 0 vouchers changed since" in line
    assert counts["vouchers"] == first["vouchers"]

    resources = load_resources(ctx.engine, "medium")
    latest_load = resources[0]["load_id"]
    latest = {row["resource"]: row for row in resources if row["load_id"] == latest_load}
    assert {row["path"] for row in latest.values()} == {"incremental"}
    changed = next(row for name, row in latest.items() if name.startswith("vouchers changed since"))
    assert changed["requests"] == 1 and changed["rows_loaded"] == 0
    assert latest["vouchers (count)"]["next_cursor"] >= changed["resource"][-16:], "the cursor moves on"
    assert latest["accounts"]["rows_loaded"] == counts["accounts"] and latest["accounts"]["requests"] >= 1
    first_load = {row["resource"]: row for row in resources if row["load_id"] != latest_load}
    assert first_load["vouchers"]["requests"] == 11 and first_load["vouchers"]["rows_loaded"] == first["vouchers"]
    assert first_load["sie4"]["requests"] == 1 and float(first_load["sie4"]["seconds"]) > 0


def test_a_small_year_is_always_loaded_in_full_as_that_is_cheaper(make_context, caplog):
    ctx = make_context(SMALL)
    load_year(ctx, caplog)
    _, line = load_year(ctx, caplog)
    assert "loaded in full: the full file costs 2 requests" in line


def test_after_an_imported_sie_file_the_sync_loads_in_full_to_make_fortnox_the_source_again(
        make_context, caplog, tmp_path):
    ctx = make_context(MEDIUM)
    load_year(ctx, caplog)
    summary = sie_file.write_sie_file(ctx, {"id": CURRENT_YEAR, "from_date": "2025-01-01", "to_date": "2025-12-31"})
    import_sie_file(ctx.engine, MEDIUM, summary.path, imported_by="test")
    _, line = load_year(ctx, caplog)
    assert "loaded in full: its books in staging came from an imported SIE file" in line
