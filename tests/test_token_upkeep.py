"""Keeping connections alive: renew only what would expire within 10 days, fail plainly on the rest,
every client's upkeep in one go, a failed one handed on, and the fortnox_tokens DAG under Airflow: a client whose
connection failed gets a task of its own, and one that must reconnect fails at once."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import logging

import pytest
import requests
from sqlalchemy import text

from fortnox_etl.demo import DemoPaths, prepare_local_airflow
from fortnox_etl.fortnox.errors import MissingScopeOrLicence, ReconnectNeeded
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.staging.database import create_schema, create_staging_engine
from fortnox_etl.staging.task_errors import last_task_errors
from fortnox_etl.connections.token_upkeep import confirm_every_connection, renew_and_confirm, renew_if_expiring

DAY = 86400


def test_a_connection_is_renewed_only_within_ten_days_of_expiry(make_context, clients, app):
    ctx = make_context(clients[0])
    before = ctx.tokens().load(clients[0].key)

    def store_at(moment: float) -> TokenStore:
        return TokenStore(ctx.engine, ctx.token_key, app, clock=lambda: moment)

    assert renew_if_expiring(store_at(time.time() + 30 * DAY), clients[0].key) is False
    assert ctx.tokens().load(clients[0].key).refresh_token == before.refresh_token
    assert renew_if_expiring(store_at(time.time() + 36 * DAY), clients[0].key) is True
    after = ctx.tokens().load(clients[0].key)
    assert after.refresh_token != before.refresh_token and after.refresh_expires_at > before.refresh_expires_at
    with pytest.raises(ReconnectNeeded, match="expired 1 days ago; the client must reconnect"):
        renew_if_expiring(store_at(after.refresh_expires_at + DAY), clients[0].key)


def the_next_day(ctx, client_key: str) -> None:
    """The access token of the last sync has lived out its hour, as it has when the daily upkeep runs."""
    with ctx.engine.begin() as connection:
        connection.execute(text("UPDATE fortnox_tokens SET access_expires_at = 0 WHERE client_key = :key"),
                           {"key": client_key})


def test_the_daily_upkeep_confirms_a_working_connection_and_clears_its_last_error(make_context, clients, caplog):
    ctx = make_context(clients[0])
    ctx.tokens().set_last_error(clients[0].key, "Fortnox answered 503; try again later")
    the_next_day(ctx, clients[0].key)
    caplog.set_level(logging.INFO, logger="fortnox_etl")
    assert renew_and_confirm(ctx) is False
    assert "client acme: the Fortnox connection is confirmed (GET /3/financialyears answered) and good for 45 more days" \
        in caplog.text
    assert ctx.tokens().load(clients[0].key).last_error is None


def test_the_daily_upkeep_finds_an_integration_the_customer_revoked(make_context, clients, sandbox):
    ctx = make_context(clients[0])
    tenant_id = ctx.tokens().load(clients[0].key).tenant_id
    requests.post(f"{sandbox.base_url}/sandbox-admin/tenants/{tenant_id}/revoke", timeout=10).raise_for_status()
    the_next_day(ctx, clients[0].key)
    with pytest.raises(ReconnectNeeded, match="client acme: Fortnox refused the refresh token: the client must reconnect"):
        renew_and_confirm(ctx)
    assert "Fortnox refused the refresh token: the client must reconnect" in ctx.tokens().load(clients[0].key).last_error


def test_the_daily_upkeep_finds_a_withdrawn_licence_although_the_tokens_are_fine(make_context, clients, sandbox):
    ctx = make_context(clients[0])
    tenant_id = ctx.tokens().load(clients[0].key).tenant_id
    requests.post(f"{sandbox.base_url}/sandbox-admin/tenants/{tenant_id}/withdraw-licence", json={"scope": "bookkeeping"},
                  timeout=10).raise_for_status()
    reason = "the company lacks the licence for it; the client must add it in Fortnox and reconnect"
    with pytest.raises(MissingScopeOrLicence, match=reason):
        renew_and_confirm(ctx)
    last_error = ctx.tokens().load(clients[0].key).last_error
    assert reason in last_error and "Det finns ingen aktiv licens" in last_error


def test_every_connection_is_confirmed_in_one_go_and_the_failed_ones_are_handed_on(make_context, clients, caplog):
    acme, norrsken = make_context(clients[0]), make_context(clients[1], connect=False)
    the_next_day(acme, clients[0].key)
    caplog.set_level(logging.INFO, logger="fortnox_etl")
    # Any client's context serves all: the staging database and the bureau's app are shared.
    assert confirm_every_connection(norrsken, [clients[1], clients[0]]) == [clients[1]]
    assert "client acme: the Fortnox connection is confirmed (GET /3/financialyears answered)" in caplog.text
    assert ("client norrsken: the connection's upkeep failed (ReconnectNeeded: client norrsken is not connected to "
            "Fortnox: run 'fortnox-etl connect norrsken'); it is tried again in a task of its own, renew [norrsken]"
            ) in caplog.text
    assert "1 of 2 Fortnox connections confirmed; 1 tried again one by one: norrsken" in caplog.text


def test_a_client_never_connected_must_connect(make_context, clients):
    ctx = make_context(clients[1], connect=False)
    create_schema(ctx.engine)
    with pytest.raises(ReconnectNeeded, match="run 'fortnox-etl connect norrsken'"):
        renew_if_expiring(ctx.tokens(), clients[1].key)


def test_the_tokens_dag_fails_only_the_client_that_must_reconnect_and_does_not_retry(sandbox, app, tmp_path, clients):
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    env = prepare_local_airflow(app, clients[:1], paths)
    airflow = [str(Path(sys.executable).with_name("airflow"))]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    started = time.monotonic()
    run = subprocess.run([*airflow, "dags", "test", "fortnox_tokens"], env=env, capture_output=True, text=True, timeout=240)
    output = run.stdout + run.stderr
    assert time.monotonic() - started < 120, "a reconnect-needed failure must not wait for retries"
    assert "client norrsken is not connected to Fortnox: run 'fortnox-etl connect norrsken'" in output
    assert "client acme: the Fortnox connection is confirmed (GET /3/financialyears answered) and good for 45 more days" \
        in output
    assert "1 of 2 Fortnox connections confirmed; 1 tried again one by one: norrsken" in output
    assert "retrying cannot help" in output, "the retry policy failed the task at once"
    # The operator's words are the failed task's last line before Airflow's traceback, and are kept for the clients page.
    words = "client norrsken is not connected to Fortnox: run 'fortnox-etl connect norrsken'"
    lines = output.splitlines()
    failed_at = next(n for n, line in enumerate(lines) if "Task failed with exception" in line)
    assert words in lines[failed_at - 1] and "error" in lines[failed_at - 1].lower(), lines[failed_at - 3:failed_at + 1]
    [kept] = last_task_errors(create_staging_engine(str(paths.staging_db)))["norrsken"]
    assert (kept.dag_id, kept.task_id, kept.map_index, kept.try_number, kept.message) == (
        "fortnox_tokens", "renew", 0, 1, words)  # the one client handed on
