"""Each client's Fortnox tokens, encrypted in the staging database, refreshed under a row lock.

Fortnox refresh tokens are single use: two processes refreshing at once, or a new token that is
not saved, force the client to consent again. So a refresh locks the client's row, re-reads it
(another process may have refreshed meanwhile), asks Fortnox, and commits the new pair at once.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, text

from fortnox_etl.config import ConfigError
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.errors import ReconnectNeeded
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)

TOKEN_KEY_VARIABLE = "FORTNOX_ETL_TOKEN_KEY"
# Refresh a little before expiry so that a long request never starts with a dying token.
ACCESS_TOKEN_MARGIN = 300


def token_key_from_env() -> str:
    key = os.environ.get(TOKEN_KEY_VARIABLE, "").strip()
    if not key:
        raise ConfigError(
            f"{TOKEN_KEY_VARIABLE} is not set: it holds the key that encrypts the clients' Fortnox tokens. "
            "Create one with 'fortnox-etl keygen', keep it in your secrets store, and set it for every Airflow worker"
        )
    return key


@dataclass(frozen=True)
class StoredTokens:
    client_key: str
    tenant_id: int | None
    scope: str
    access_token: str = field(repr=False)
    access_expires_at: int
    refresh_token: str | None = field(repr=False)
    refresh_expires_at: int | None
    connected_at: int
    last_refresh_at: int | None
    last_error: str | None


class TokenStore:
    def __init__(self, engine: Engine, key: str, app: oauth.FortnoxApp, clock=time.time):
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{TOKEN_KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "create one with 'fortnox-etl keygen'"
            ) from None
        self._engine = engine
        self._app = app
        self._clock = clock

    def save_grant(self, client_key: str, grant: oauth.TokenGrant) -> None:
        with self._engine.begin() as connection:
            run_sql(connection, "tokens/save_connection", client_key=client_key, now=int(self._clock()),
                    tenant_id=grant.tenant_id, **self._encrypted(grant))

    def load(self, client_key: str) -> StoredTokens | None:
        with self._engine.begin() as connection:
            return self._read(connection, client_key)

    def forget(self, client_key: str) -> None:
        with self._engine.begin() as connection:
            run_sql(connection, "tokens/delete_token", client_key=client_key)

    def access_token(self, client_key: str, force_refresh: bool = False) -> str:
        """A valid access token for the client, refreshing (under the lock) only when needed."""
        if not force_refresh:
            stored = self.load(client_key)
            if stored is None:
                raise _not_connected(client_key)
            if self._still_valid(stored):
                return stored.access_token
        return self.refresh(client_key, force=force_refresh).access_token

    def refresh(self, client_key: str, force: bool = False) -> StoredTokens:
        """Refresh the client's tokens unless another process just did; returns what is now stored."""
        failure: ReconnectNeeded | None = None
        with self._engine.begin() as connection:
            locked = connection.execute(text(sql("tokens/lock_token_row")), {"client_key": client_key, "now": int(self._clock())})
            if locked.rowcount == 0:
                raise _not_connected(client_key)
            stored = self._read(connection, client_key)
            if not force and self._still_valid(stored):
                return stored
            if not stored.refresh_token:
                raise ReconnectNeeded(f"client {client_key}: no refresh token is stored; the client must reconnect")
            try:
                grant = oauth.refresh(self._app, stored.refresh_token, clock=self._clock)
            except ReconnectNeeded as error:
                # Remember why, for 'fortnox-etl status', and commit that before failing the run.
                run_sql(connection, "tokens/record_token_error", client_key=client_key, last_error=str(error))
                failure = error
            else:
                run_sql(connection, "tokens/save_refreshed_tokens", client_key=client_key, now=int(self._clock()),
                        **self._encrypted(grant))
        if failure is not None:
            raise ReconnectNeeded(f"client {client_key}: {failure}") from None
        log.info("client %s: Fortnox access renewed; the new refresh token is stored", client_key)
        return self.load(client_key)

    def _still_valid(self, stored: StoredTokens) -> bool:
        return stored.access_expires_at - ACCESS_TOKEN_MARGIN > self._clock()

    def _encrypted(self, grant: oauth.TokenGrant) -> dict:
        return {
            "scope": grant.scope,
            "access_token_enc": self._fernet.encrypt(grant.access_token.encode()).decode(),
            "access_expires_at": grant.access_expires_at,
            "refresh_token_enc": self._fernet.encrypt(grant.refresh_token.encode()).decode() if grant.refresh_token else None,
            "refresh_expires_at": grant.refresh_expires_at,
        }

    def _decrypt(self, value: str | None, client_key: str) -> str | None:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                f"client {client_key}: the stored tokens cannot be decrypted with this {TOKEN_KEY_VARIABLE}; "
                "use the key they were stored with, or reconnect the client"
            ) from None

    def _read(self, connection, client_key: str) -> StoredTokens | None:
        row = connection.execute(text(sql("tokens/select_token")), {"client_key": client_key}).mappings().first()
        if row is None:
            return None
        return StoredTokens(
            client_key=row["client_key"],
            tenant_id=row["tenant_id"],
            scope=row["scope"] or "",
            access_token=self._decrypt(row["access_token_enc"], client_key),
            access_expires_at=row["access_expires_at"],
            refresh_token=self._decrypt(row["refresh_token_enc"], client_key),
            refresh_expires_at=row["refresh_expires_at"],
            connected_at=row["connected_at"],
            last_refresh_at=row["last_refresh_at"],
            last_error=row["last_error"],
        )


def _not_connected(client_key: str) -> ReconnectNeeded:
    return ReconnectNeeded(f"client {client_key} is not connected to Fortnox: run 'fortnox-etl connect {client_key}'")
