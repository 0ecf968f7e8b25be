"""Requests for a full import of an M company-year (≈5,000 vouchers), next to what the
one-request-per-voucher approach of public connectors needs against the same sandbox data.

Ours is counted by the sandbox during a real extraction. The per-voucher approach is counted on
the same data without sending it (5,000 requests would take 17 minutes at Fortnox's rate limit):
the voucher list at its largest page, one request per voucher, and the accounts list.
Figures: out/bench/import_requests.json.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox_client import BENCH_DIR, CLIENT, TENANT, bench_company, connect_client, write_figures  # noqa: E402

from fortnox_etl.extract.sync import extract_financial_year  # noqa: E402
from fortnox_etl.fortnox.api import PAGE_LIMIT  # noqa: E402
from fortnox_etl.fortnox.client_context import ClientContext  # noqa: E402
from fortnox_etl.sandbox.running import RunningSandbox  # noqa: E402
from fortnox_etl.staging.database import create_staging_engine  # noqa: E402


def main() -> None:
    company = bench_company("M")
    year = company.financial_years[-1]
    with RunningSandbox([company]) as sandbox:
        staging_file = BENCH_DIR / "import_requests" / "staging.db"
        app, key = connect_client(sandbox.base_url, staging_file)
        before = sum(sandbox.requests(TENANT).values())
        ctx = ClientContext(CLIENT, create_staging_engine(str(staging_file)), app, key, BENCH_DIR)
        counts = extract_financial_year(ctx, {"id": year["Id"], "from_date": year["FromDate"], "to_date": year["ToDate"]})
        requests = sum(sandbox.requests(TENANT).values()) - before
    vouchers = counts["vouchers"]
    one_per_voucher = math.ceil(vouchers / PAGE_LIMIT) + vouchers + math.ceil(counts["accounts"] / PAGE_LIMIT)
    path = write_figures("import_requests", {"vouchers": vouchers, "requests": requests,
                                             "requests_one_per_voucher": one_per_voucher})
    print(f"import requests for one M company-year ({vouchers:,} vouchers, {counts['voucher_rows']:,} rows)")
    print(f"  {'ours (SIE export + lists)':<32}{requests:>8,}")
    print(f"  {'one request per voucher':<32}{one_per_voucher:>8,}")
    print(f"  figures: {path}")


if __name__ == "__main__":
    main()
