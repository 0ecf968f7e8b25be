"""The demo closes the year a bureau closes now: the last financial year that ended before today, whether the
sandbox's books run on through the open year or not."""
from __future__ import annotations

import datetime as dt

import pytest

from fortnox_etl.config import Client
from fortnox_etl.demo import last_closed_year_end
from fortnox_etl.sandbox.generator import generate_company, sandbox_company


@pytest.mark.parametrize(("start_month", "today", "closed"), [
    (1, dt.date(2026, 12, 6), "2025-12"),
    (7, dt.date(2026, 12, 6), "2026-06"),
    (7, dt.date(2026, 7, 1), "2026-06"),
    (1, dt.date(2027, 1, 2), "2026-12"),
])
def test_the_demo_closes_the_last_year_ended_before_today(start_month, today, closed):
    client = Client("acme", "Acme AB", "556677-8899", fiscal_year_start_month=start_month)
    company = generate_company(sandbox_company(client, 1001, today=today))
    assert company.financial_years[-1]["ToDate"] >= today.isoformat(), "the sandbox's books reach today"
    assert last_closed_year_end(company, today) == closed
