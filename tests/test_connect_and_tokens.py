"""Connecting and tokens: the consent checks, encryption at rest, refresh and rotation, plain errors."""
from __future__ import annotations

import dataclasses
import time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from fortnox_etl.config import ConfigError
from fortnox_etl.fortnox import oauth
from fortnox_etl.connections.connect import finish_connect
from fortnox_etl.fortnox.errors import InvalidAppCredentials, InvalidData, ReconnectNeeded, WrongCompany
from fortnox_etl.sandbox.consent import consent
from fortnox_etl.fortnox.token_store import TOKEN_KEY_VARIABLE, TokenStore, token_key_from_env
from fortnox_etl.staging.database import create_schema


def test_tokens_are_stored_encrypted(make_context, clients, sandbox):
    ctx = make_context(clients[0])
    with ctx.engine.connect() as connection:
        stored = " ".join(str(v) for v in connection.execute(text("SELECT * FROM fortnox_tokens")).one())
    secrets = sandbox.state.issued_secrets()
    assert secrets and not any(secret in stored for secret in secrets)
    assert ctx.tokens().load(clients[0].key).tenant_id == 1001


def test_an_expiring_access_token_is_refreshed_and_the_rotated_refresh_token_kept(make_context, clients, app):
    ctx = make_context(clients[0])
    before = ctx.tokens().load(clients[0].key)
    later = TokenStore(ctx.engine, ctx.token_key, app, clock=lambda: time.time() + 3600 - 60)
    assert later.access_token(clients[0].key) != before.access_token
    after = ctx.tokens().load(clients[0].key)
    assert after.refresh_token != before.refresh_token and after.last_refresh_at
    with pytest.raises(ReconnectNeeded):
        oauth.refresh(app, before.refresh_token)  # the old one died at the rotation
    renewed = ctx.tokens().refresh(clients[0].key, stale_access_token=after.access_token)
    assert renewed.refresh_token != after.refresh_token


def test_a_valid_access_token_is_reused_without_asking_fortnox(make_context, clients, sandbox):
    ctx = make_context(clients[0])
    token_requests = sandbox.state.request_count(None, "/oauth-v1/token")
    first = ctx.tokens().access_token(clients[0].key)
    assert ctx.tokens().access_token(clients[0].key) == first
    assert sandbox.state.request_count(None, "/oauth-v1/token") == token_requests


def test_a_refresh_token_used_elsewhere_means_reconnect_and_is_recorded(make_context, clients, app):
    ctx = make_context(clients[0])
    stolen = ctx.tokens().load(clients[0].key).refresh_token
    oauth.refresh(app, stolen)  # someone else rotates it away
    with pytest.raises(ReconnectNeeded, match="client acme: Fortnox refused the refresh token: the client must reconnect") as error:
        ctx.tokens().refresh(clients[0].key, stale_access_token=ctx.tokens().load(clients[0].key).access_token)
    assert stolen not in str(error.value)
    assert "must reconnect" in ctx.tokens().load(clients[0].key).last_error


def test_a_client_never_connected_is_told_how_to_connect(make_context, clients):
    ctx = make_context(clients[1], connect=False)
    create_schema(ctx.engine)
    with pytest.raises(ReconnectNeeded, match="not connected to Fortnox: run 'fortnox-etl connect norrsken'"):
        ctx.tokens().access_token(clients[1].key)


def test_the_token_key_must_be_configured(monkeypatch):
    monkeypatch.delenv(TOKEN_KEY_VARIABLE, raising=False)
    with pytest.raises(ConfigError, match="FORTNOX_ETL_TOKEN_KEY is not set"):
        token_key_from_env()


def test_a_wrong_token_key_is_a_clear_error(make_context, clients, app):
    ctx = make_context(clients[0])
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        TokenStore(ctx.engine, "not-a-key", app)
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        TokenStore(ctx.engine, Fernet.generate_key().decode(), app).load(clients[0].key)


def test_consent_for_another_company_stores_nothing(make_context, clients, app):
    ctx = make_context(clients[0], connect=False)
    create_schema(ctx.engine)
    url, state = oauth.authorization_url(app)
    with pytest.raises(WrongCompany, match="consent was given for 'Norrskens Café & Bageri AB' .*nothing was stored"):
        finish_connect(ctx.tokens(), app, clients[0], consent(url, clients[1].organisation_number), state)
    assert ctx.tokens().load(clients[0].key) is None


def test_an_answer_to_another_connection_attempt_or_a_used_code_is_refused(app, clients):
    url, state = oauth.authorization_url(app)
    redirect = consent(url, clients[0].organisation_number)
    with pytest.raises(InvalidData, match="state mismatch"):
        oauth.exchange_code(app, redirect, expected_state="someone-elses-state")
    oauth.exchange_code(app, redirect, state)
    with pytest.raises(ReconnectNeeded, match="authorization code"):
        oauth.exchange_code(app, redirect, state)


def test_wrong_app_credentials_are_named_as_such(app, clients):
    url, state = oauth.authorization_url(app)
    redirect = consent(url, clients[0].organisation_number)
    wrong = dataclasses.replace(app, client_secret="not-the-secret")
    with pytest.raises(InvalidAppCredentials, match="check the client id and secret in the fortnox_app connection"):
        oauth.exchange_code(wrong, redirect, state)
