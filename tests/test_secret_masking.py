"""No token or secret in any log, even at DEBUG: a full connect, a forced refresh and a sync with every
logger captured, and Airflow's own masker knowing every token and secret the package read or received."""
from __future__ import annotations

import base64
import logging

from fortnox_etl.fortnox import oauth
from sandbox_helpers import app_connection
from sync_helpers import run_sync, year_end


def connect_refresh_and_sync(make_context, client, company) -> str:
    """A client connected through consent, its tokens renewed as after a refused access token, a period synced."""
    ctx = make_context(client)
    tokens = ctx.tokens()
    tokens.refresh(client.key, stale_access_token=tokens.load(client.key).access_token)
    run_sync(ctx, year_end(company))
    return ctx.token_key


def every_secret(sandbox, app: oauth.FortnoxApp, token_key: str) -> set[str]:
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    issued = sandbox.state.issued_secrets()  # every access token, refresh token and authorization code
    assert len(issued) >= 5, "a code, two pairs of tokens"
    return issued | {app.client_secret, basic, token_key}


def test_no_token_or_secret_reaches_a_debug_log_of_connect_refresh_and_sync(make_context, clients, companies, sandbox,
                                                                           app, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger at DEBUG, as an operator debugging a task sets it
    token_key = connect_refresh_and_sync(make_context, clients[0], companies[0])
    logged = caplog.text
    assert "connected to Fortnox company" in logged and "Fortnox access renewed" in logged, "the log was captured"
    leaked = [name for name in every_secret(sandbox, app, token_key) if name in logged]
    assert not leaked, f"{len(leaked)} tokens or secrets are in the DEBUG log"


def test_airflows_masker_hides_every_token_and_secret_the_package_read_or_received(make_context, clients, companies,
                                                                                  sandbox, app):
    from airflow.sdk.log import redact

    import fortnox_etl.airflow_support  # noqa: F401 - as every DAG file does: it registers Airflow's masker

    oauth.FortnoxApp.from_connection(app_connection(app))  # the app's secret, read from its connection
    token_key = connect_refresh_and_sync(make_context, clients[0], companies[0])
    unmasked = [name for name in every_secret(sandbox, app, token_key) if redact(name) != "***"]
    assert not unmasked, f"Airflow's masker does not know {len(unmasked)} of the tokens and secrets"
    assert redact(f"Bearer {sorted(sandbox.state.issued_secrets())[0]}") == "Bearer ***"
