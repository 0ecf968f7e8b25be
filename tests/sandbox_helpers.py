"""What the sandbox tests share: two companies (a calendar year and a broken year), a redirect URI
and a clock that stands still."""
from __future__ import annotations

from datetime import datetime

from fortnox_etl.sandbox.generator import CompanySpec

ACME = CompanySpec(tenant_id=1001, organisation_number="556677-8899", name="Acme Bygg & Montage AB")
NORRSKEN = CompanySpec(
    tenant_id=1002, organisation_number="559123-4561", name="Norrskens Café & Bageri AB", fiscal_year_start_month=7
)
REDIRECT_URI = "http://127.0.0.1:9/callback"


class FakeClock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now
