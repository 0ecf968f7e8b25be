"""No token or secret in any log, even at DEBUG: a full connect, a forced refresh and a sync with every
logger captured, and Airflow's own masker knowing every token and secret the package read or received."""
from __future__ import annotations

import base64
import json
import logging

from sqlalchemy import text

from fortnox_etl.demo import DemoPaths, prepare_local_airflow, run_airflow
from fortnox_etl.fortnox import oauth
from fortnox_etl.staging.database import create_staging_engine
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
    leaked = sum(name in logged for name in every_secret(sandbox, app, token_key))  # a count: a failure shows no token
    assert leaked == 0, f"{leaked} tokens or secrets are in the DEBUG log"


def test_airflows_masker_hides_every_token_and_secret_the_package_read_or_received(make_context, clients, companies,
                                                                                  sandbox, app):
    from airflow.sdk.log import redact

    import fortnox_etl.airflow_support  # noqa: F401 - as every DAG file does: it registers Airflow's masker

    oauth.FortnoxApp.from_connection(app_connection(app))  # the app's secret, read from its connection
    token_key = connect_refresh_and_sync(make_context, clients[0], companies[0])
    unmasked = sum(redact(name) != "***" for name in every_secret(sandbox, app, token_key))
    assert unmasked == 0, f"Airflow's masker does not know {unmasked} of the tokens and secrets"
    assert redact(f"Bearer {sorted(sandbox.state.issued_secrets())[0]}") == "Bearer ***"


def test_a_sync_in_airflow_at_debug_level_that_renews_the_tokens_logs_none_of_them(sandbox, app, tmp_path, clients,
                                                                                  companies):
    paths = DemoPaths(airflow_home=tmp_path / "airflow", var_dir=tmp_path / "var", out_dir=tmp_path / "out")
    env = {**prepare_local_airflow(app, clients[:1], paths), "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG"}
    with create_staging_engine(str(paths.staging_db)).begin() as connection:  # expired: the task renews it
        connection.execute(text("UPDATE fortnox_tokens SET access_expires_at = 0"))
    period = companies[0].financial_years[-1]["ToDate"][:7]

    run_airflow(env, "db", "migrate")
    output = run_airflow(env, "dags", "test", f"fortnox_sync__{clients[0].key}", "-c", json.dumps({"period": period}))

    assert "Fortnox access renewed" in output and "[debug" in output, "a DEBUG log of a run that renewed the tokens"
    secrets = every_secret(sandbox, app, env["FORTNOX_ETL_TOKEN_KEY"])
    for log in [path for path in paths.airflow_home.rglob("*") if path.is_file() and path.suffix != ".db"]:
        lines = [line for line in log.read_text(errors="replace").splitlines()
                 if not _harness_echoing_a_mask(line)]
        leaked = sum(any(name in line for line in lines) for name in secrets)  # a count: a failure shows no token
        assert leaked == 0, f"{log} holds {leaked} tokens or secrets"


def _harness_echoing_a_mask(line: str) -> bool:
    """`airflow dags test`'s in-process supervisor logs every request of the task at DEBUG, the value of a
    secret being registered with the masker too; a scheduler's supervisor leaves that body out."""
    return "Sending request" in line and "msg=MaskSecret(value=" in line
