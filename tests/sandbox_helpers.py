"""What the sandbox tests share: two companies (a calendar year and a broken year), a redirect URI,
a clock that stands still, and the fortnox_app connection of a sandbox."""
from __future__ import annotations

from datetime import datetime

from fortnox_etl.config import APP_CONN_ID, ConnectionSettings
from fortnox_etl.fortnox import oauth
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


def app_connection(app: oauth.FortnoxApp) -> ConnectionSettings:
    return ConnectionSettings(APP_CONN_ID, "http", login=app.client_id, password=app.client_secret,
                              extra={"auth_url": app.auth_url, "api_url": app.api_url, "redirect_uri": app.redirect_uri})
