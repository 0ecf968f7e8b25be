"""Each fault of the sandbox, as the sync meets it: what the operator reads, and that nothing already
staged is lost. Passing faults heal through retries; lasting ones fail with the action to take."""
from __future__ import annotations

import dataclasses
import logging
import time

import pytest
from tenacity import wait_none

from fortnox_etl.connections.token_upkeep import renew_if_expiring
from fortnox_etl.extract import sync
from fortnox_etl.fortnox.errors import FortnoxUnavailable, MissingScopeOrLicence, RateLimited, ReconnectNeeded
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.period import Period
from fortnox_etl.sandbox.faults import Fault, FaultPlan
from sync_helpers import run_sync, staging_snapshot, year_end

LASTING = 50  # more than the HTTP layer's six attempts


@pytest.fixture
def synced(make_context, clients, companies):
    """A client whose books are already staged, with retries that do not wait."""
    ctx = dataclasses.replace(make_context(clients[0]), api_backoff=wait_none())
    run_sync(ctx, year_end(companies[0]))
    return ctx, sync.extract_company(ctx, Period.parse(year_end(companies[0])))["years"][-1]


@pytest.mark.parametrize("kind, error, message", [
    ("rate_limit", RateLimited, "Fortnox's rate limit was hit (429); retry after a pause"),
    ("server_error", FortnoxUnavailable, "Fortnox answered 50"),
    ("connection_reset", FortnoxUnavailable, "the connection to Fortnox failed or broke off"),
    ("truncated_json", FortnoxUnavailable, "that is not valid JSON; try again later"),
    ("malformed_json", FortnoxUnavailable, "that is not valid JSON; try again later"),
    ("html_502", FortnoxUnavailable, "answered 502 with text/html instead of its JSON error"),
])
def test_a_lasting_fault_fails_plainly_and_keeps_what_was_staged(synced, sandbox, kind, error, message):
    ctx, year = synced
    staged = staging_snapshot(ctx.engine)
    sandbox.set_faults(FaultPlan((Fault(kind, next_n=LASTING),), seed=7))
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        sync.extract_financial_year(ctx, year)
    assert staging_snapshot(ctx.engine) == staged


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "connection_reset", "truncated_json", "html_502"])
def test_a_passing_fault_heals_through_retries(synced, sandbox, kind, caplog):
    ctx, year = synced
    staged = staging_snapshot(ctx.engine)
    sandbox.set_faults(FaultPlan((Fault(kind, next_n=2),), seed=7))
    caplog.set_level(logging.WARNING, logger="fortnox_etl")
    sync.extract_financial_year(ctx, year)
    assert staging_snapshot(ctx.engine) == staged
    assert "client acme: GET /3/" in caplog.text and "retry 1 of 5" in caplog.text


def test_a_sie_file_cut_short_is_retried_not_loaded(synced, sandbox, caplog):
    ctx, year = synced
    staged = staging_snapshot(ctx.engine)
    sandbox.set_faults(FaultPlan((Fault("truncated_json", next_n=1, path_prefix="/3/sie/"),), seed=1))
    caplog.set_level(logging.WARNING, logger="fortnox_etl")
    sync.extract_financial_year(ctx, year)
    assert "the file Fortnox sent is broken or cut short" in caplog.text
    assert staging_snapshot(ctx.engine) == staged


def test_a_withdrawn_licence_tells_the_client_what_to_do(synced, sandbox, companies):
    ctx, year = synced
    staged = staging_snapshot(ctx.engine)
    sandbox.set_faults(FaultPlan((Fault("withdraw_licence", next_n=1, scope="bookkeeping"),)))
    with pytest.raises(MissingScopeOrLicence, match="the client must add it in Fortnox and reconnect"):
        sync.extract_financial_year(ctx, year)
    assert staging_snapshot(ctx.engine) == staged


def test_a_connection_revoked_by_the_customer_means_reconnect(synced, sandbox, app, clients):
    ctx, _ = synced
    staged = staging_snapshot(ctx.engine)
    sandbox.set_faults(FaultPlan((Fault("revoke", next_n=1),)))
    ctx.api().get("/3/companyinformation")  # the customer revokes while we work
    sandbox.set_faults(None)
    renewal_due = TokenStore(ctx.engine, ctx.token_key, app, clock=lambda: time.time() + 40 * 86400)
    with pytest.raises(ReconnectNeeded, match="client acme: Fortnox refused the refresh token: the client must reconnect"):
        renew_if_expiring(renewal_due, clients[0].key)
    assert "must reconnect" in ctx.tokens().load(clients[0].key).last_error
    assert staging_snapshot(ctx.engine) == staged


def test_without_the_cost_centre_licence_the_sync_goes_on_with_the_sie_files_names(synced, sandbox, caplog):
    ctx, year = synced
    sandbox.set_faults(FaultPlan((Fault("withdraw_licence", next_n=1, scope="costcenter"),)))
    caplog.set_level(logging.WARNING, logger="fortnox_etl")
    counts = sync.extract_financial_year(ctx, year)
    assert counts["vouchers"] > 0
    assert "cost centres and projects not listed" in caplog.text
