"""A field a step needs that Fortnox's answer lacks: an error naming the request and the field, never a KeyError,
and nothing changed; a field only some answers may carry: its stated default. Each case takes one field out of the
sandbox's real answers on the way to our client."""
from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlparse

import pytest
import requests
from sqlalchemy import text

from fortnox_etl.connections import token_upkeep
from fortnox_etl.connections.connect import finish_connect
from fortnox_etl.export import posting as export
from fortnox_etl.export.outbox import APPROVED, FAILED, POSTED, POSTING, Outbox
from fortnox_etl.extract import sync
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.errors import MissingField
from fortnox_etl.period import Period
from fortnox_etl.period_end import ledgers
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.sandbox.running import RunningSandbox
from fortnox_etl.staging.database import create_schema
from sync_helpers import run_sync, year_end
from test_export import approve, draft, in_fortnox, synced  # noqa: F401 (synced: a fixture)


@pytest.fixture
def sandbox(companies):
    with RunningSandbox(companies, rate_limit=False) as running:
        yield running


def without(monkeypatch, method: str, path: str, field: str, wrapper: str | None = None) -> None:
    """Fortnox's answers to `method` on paths matching `path` lose `field`: from the record wrapped in `wrapper`,
    from every entry of the answer's list, or (no wrapper, no list) the wrapper itself."""
    original = requests.Session.request

    def request(session, method_, url, **kwargs):
        response = original(session, method_, url, **kwargs)
        if method_ == method and re.fullmatch(path, urlparse(url).path) and response.ok:
            body = response.json()
            lists = [value for value in body.values() if isinstance(value, list)]
            for record in [body[wrapper]] if wrapper else lists[0] if lists else [body]:
                record.pop(field, None)
            response._content = json.dumps(body).encode()
        return response

    monkeypatch.setattr(requests.Session, "request", request)


def load_runs(ctx) -> int:
    with ctx.engine.connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM load_runs")).scalar()


@pytest.mark.parametrize(("path", "field"), [
    ("/3/companyinformation", "CompanyInformation"), ("/3/financialyears", "FromDate"), ("/3/accounts", "Number"),
    ("/3/vouchers", "VoucherNumber"), ("/3/costcenters", "Code"), ("/3/projects", "ProjectNumber"),
])
def test_a_sync_whose_answer_lacks_a_needed_field_names_the_request_and_the_field(
        make_context, clients, companies, sandbox, monkeypatch, path, field):
    ctx = make_context(clients[0])
    token_upkeep.keep_tokens_alive(ctx)
    without(monkeypatch, "GET", path, field)
    loaded = []
    with pytest.raises(MissingField, match=f"GET {path}: Fortnox's answer has no '{field}'"):
        # The newest year: cost centres and projects are listed with it.
        for year in sync.extract_company(ctx, Period.parse(year_end(companies[0])))["years"]:
            loaded.append(sync.extract_financial_year(ctx, year))
    assert load_runs(ctx) == len(loaded), "the year whose answer lacked the field left nothing staged"


@pytest.mark.parametrize(("path", "field"), [("/3/customers", "CustomerNumber"), ("/3/suppliers", "SupplierNumber")])
def test_a_ledger_list_lacking_the_partys_number_names_the_request_and_the_field(
        make_context, clients, sandbox, monkeypatch, path, field):
    ctx = make_context(clients[0])
    run_sync(ctx, "2025-12")
    without(monkeypatch, "GET", path, field)
    with pytest.raises(MissingField, match=f"GET {path}: Fortnox's answer has no '{field}'"):
        ledgers.extract_ledgers(ctx, dt.date(2025, 12, 31))


def test_a_company_answer_without_its_record_stores_no_connection(make_context, clients, app, sandbox, monkeypatch):
    ctx = make_context(clients[0], connect=False)
    create_schema(ctx.engine)
    url, state = oauth.authorization_url(app)
    redirect = consent(url, clients[0].organisation_number)
    without(monkeypatch, "GET", "/3/companyinformation", "CompanyInformation")
    with pytest.raises(MissingField, match="GET /3/companyinformation: Fortnox's answer has no 'CompanyInformation'"):
        finish_connect(ctx.tokens(), app, clients[0], redirect, state)
    assert ctx.tokens().load(clients[0].key) is None, "no tokens stored"


@pytest.mark.parametrize(("path", "field"), [
    ("/3/companyinformation", "CompanyInformation"), ("/3/financialyears", "ToDate"), ("/3/voucherseries", "Code"),
    ("/3/accounts", "Number"),
])
def test_an_export_whose_answer_lacks_a_needed_field_posts_nothing_and_says_which(synced, sandbox, monkeypatch, path, field):
    (voucher,) = approve(synced, draft())
    without(monkeypatch, "GET", path, field)
    with pytest.raises(MissingField, match=f"GET {path}: Fortnox's answer has no '{field}'"):
        export.export_approved(synced)
    assert Outbox(synced.engine, "acme").voucher(voucher).state == APPROVED
    assert in_fortnox(sandbox, voucher) == []


def test_a_voucher_series_list_without_manual_leaves_that_check_to_fortnox(synced, sandbox, monkeypatch):
    """No recorded voucher series list shows Manual: without it the voucher is posted, and Fortnox refuses a
    series that takes no manual vouchers itself."""
    voucher, automatic = approve(synced, draft(), draft("Årets resultat", 500, series="B", debit=8999, credit=2099))
    without(monkeypatch, "GET", "/3/voucherseries", "Manual")
    summary = export.export_approved(synced)
    assert (summary.posted, summary.failed) == ([voucher], [automatic])
    assert len(in_fortnox(sandbox, voucher)) == 1 and in_fortnox(sandbox, automatic) == []
    refused = Outbox(synced.engine, "acme").voucher(automatic)
    assert refused.state == FAILED and "Fortnox refused it" in refused.reason and "inte manuell" in refused.reason


def test_a_booked_voucher_whose_answer_lacks_it_is_found_by_its_outbox_id_and_recorded(synced, sandbox, monkeypatch):
    (voucher,) = approve(synced, draft())
    without(monkeypatch, "POST", "/3/vouchers", "Voucher")
    assert export.export_approved(synced).posted == [voucher]
    (booked,) = in_fortnox(sandbox, voucher)
    recorded = Outbox(synced.engine, "acme").voucher(voucher)
    assert (recorded.state, recorded.fortnox_series, recorded.fortnox_number) == (POSTED, "A", booked["VoucherNumber"])


def test_a_single_voucher_without_its_number_stops_the_search_and_the_next_export_finds_it(synced, sandbox, monkeypatch):
    (voucher,) = approve(synced, draft())
    without(monkeypatch, "POST", "/3/vouchers", "Voucher")
    without(monkeypatch, "GET", r"/3/vouchers/A/\d+", "VoucherNumber", wrapper="Voucher")
    with pytest.raises(MissingField, match=r"GET /3/vouchers/A/\d+: Fortnox's answer has no 'VoucherNumber'"):
        export.export_approved(synced)
    assert Outbox(synced.engine, "acme").voucher(voucher).state == POSTING, "its outcome is still to be settled"
    monkeypatch.undo()
    assert export.export_approved(synced).found == [voucher]
    assert len(in_fortnox(sandbox, voucher)) == 1
