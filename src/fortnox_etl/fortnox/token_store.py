"""Each client's Fortnox tokens, encrypted in the staging database, refreshed under a lease.

Fortnox refresh tokens are single use: two processes refreshing at once, or a new token that is
not saved, force the client to consent again. A refresh therefore
1. takes a lease on the client's row under a row lock, re-reading the row first (another process
   may just have refreshed: then its tokens are used and Fortnox is not asked again);
2. commits the lease, and only then asks Fortnox, so no database lock is held during the request
   and a process that dies from here on leaves its lease behind as evidence;
3. writes the new pair in the very next statement and commits, ending the lease.
The one unrecoverable case is a death between Fortnox's answer and that commit: Fortnox has
rotated the token and the new one is gone. The next refresh finds the stale lease, gets
invalid_grant, and logs it as critical with what to do.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, text

from fortnox_etl.config import ConfigError
from fortnox_etl.fortnox import oauth
from fortnox_etl.fortnox.errors import FortnoxUnavailable, ReconnectNeeded
from fortnox_etl.fortnox.secret_masking import secret
from fortnox_etl.staging.database import run_sql, sql

log = logging.getLogger(__name__)

TOKEN_KEY_VARIABLE = "FORTNOX_ETL_TOKEN_KEY"
# Refresh a little before expiry so that a long request never starts with a dying token.
ACCESS_TOKEN_MARGIN = 300
# Longer than a token request can take (its timeout is 30 s), so a live lease never expires.
LEASE_SECONDS = 45.0
LEASE_POLL_SECONDS = 0.05


def token_key_from_env() -> str:
    key = secret(os.environ.get(TOKEN_KEY_VARIABLE, "").strip())
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
    service_account: bool
    scope: str
    access_token: str = field(repr=False)
    access_expires_at: int
    refresh_token: str | None = field(repr=False)
    refresh_expires_at: int | None
    connected_at: int
    last_refresh_at: int | None
    last_error: str | None
    refresh_lease_owner: str | None
    refresh_lease_until: float | None
    refresh_started_at: float | None


class TokenStore:
    def __init__(self, engine: Engine, key: str, app: oauth.FortnoxApp, clock=time.time,
                 lease_seconds: float = LEASE_SECONDS, checkpoint: Callable[[str], None] = lambda step: None):
        secret(key if isinstance(key, str) else key.decode(errors="replace"))
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{TOKEN_KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "create one with 'fortnox-etl keygen'"
            ) from None
        self._engine = engine
        self._app = app
        self.clock = clock
        self._lease_seconds = lease_seconds
        # Called at each step of a refresh; the crash tests use it to kill the process at that step.
        self._checkpoint = checkpoint
        self.unsaved_window_seconds: float | None = None  # last time from Fortnox's answer to our commit

    def save_grant(self, client_key: str, grant: oauth.TokenGrant, service_account: bool = False) -> None:
        with self._engine.begin() as connection:
            run_sql(connection, "tokens/save_connection", client_key=client_key, now=int(self.clock()),
                    tenant_id=grant.tenant_id, service_account=service_account, **self._encrypted(grant))

    def load(self, client_key: str) -> StoredTokens | None:
        with self._engine.begin() as connection:
            return self._read(connection, client_key)

    def set_last_error(self, client_key: str, message: str | None) -> None:
        """Record why the client's connection does not work; None once it is confirmed working."""
        with self._engine.begin() as connection:
            run_sql(connection, "tokens/set_last_error", client_key=client_key, last_error=message)

    def forget(self, client_key: str) -> None:
        with self._engine.begin() as connection:
            run_sql(connection, "tokens/delete_token", client_key=client_key)

    def access_token(self, client_key: str) -> str:
        """A valid access token for the client, refreshing only when it is about to expire."""
        stored = self.load(client_key)
        if stored is None:
            raise _not_connected(client_key)
        if self._still_valid(stored):
            return stored.access_token
        return self.refresh(client_key).access_token

    def refresh(self, client_key: str, stale_access_token: str | None = None) -> StoredTokens:
        """Renew the client's tokens unless another process already did.

        Without `stale_access_token` a still-valid access token is kept; with it (the token Fortnox
        just refused), only a stored token different from it counts as already renewed.
        """
        owner = uuid.uuid4().hex
        deadline = self.clock() + 2 * self._lease_seconds
        while True:
            outcome, stored, interrupted_at = self._take_lease(client_key, owner, stale_access_token)
            if outcome == "renewed":
                return stored
            if outcome == "leased":
                break
            if self.clock() > deadline:
                raise FortnoxUnavailable(
                    f"client {client_key}: another process has been renewing the Fortnox access for too long; try again"
                )
            time.sleep(LEASE_POLL_SECONDS)
        return self._renew(client_key, stored, interrupted_at)

    def _take_lease(self, client_key: str, owner: str, stale: str | None) -> tuple[str, StoredTokens, float | None]:
        with self._engine.begin() as connection:
            now = self.clock()
            locked = connection.execute(text(sql("tokens/lock_token_row")), {"client_key": client_key, "now": now})
            if locked.rowcount == 0:
                raise _not_connected(client_key)
            stored = self._read(connection, client_key)
            renewed = stored.access_token != stale if stale else self._still_valid(stored)
            if renewed:
                return "renewed", stored, None
            if stored.refresh_lease_owner and stored.refresh_lease_until > now:
                return "busy", stored, None
            interrupted_at = stored.refresh_started_at if stored.refresh_lease_owner else None
            run_sql(connection, "tokens/take_refresh_lease", client_key=client_key, owner=owner, now=now,
                    lease_until=now + self._lease_seconds)
            return "leased", stored, interrupted_at

    def _renew(self, client_key: str, stored: StoredTokens, interrupted_at: float | None) -> StoredTokens:
        self._checkpoint("before_request")
        try:
            if stored.service_account:
                grant = oauth.client_credentials(self._app, stored.tenant_id, clock=self.clock)
            elif stored.refresh_token:
                grant = oauth.refresh(self._app, stored.refresh_token, clock=self.clock)
            else:
                raise ReconnectNeeded("no refresh token is stored; the client must reconnect")
        except Exception as error:
            message = f"client {client_key}: {error}"
            if interrupted_at is not None and isinstance(error, ReconnectNeeded):
                log.critical(
                    "client %s: a token refresh that started at %s UTC was cut off after Fortnox had answered; Fortnox "
                    "rotated the refresh token and the new one was never saved. The client must reconnect "
                    "('fortnox-etl connect %s')", client_key, _utc(interrupted_at), client_key)
                message += " (a refresh was interrupted after Fortnox rotated the token)"
            with self._engine.begin() as connection:
                if isinstance(error, ReconnectNeeded):
                    run_sql(connection, "tokens/end_refresh_with_error", client_key=client_key, last_error=message)
                else:
                    run_sql(connection, "tokens/expire_refresh_lease", client_key=client_key, last_error=message,
                            now=self.clock())
            if isinstance(error, ReconnectNeeded):
                raise ReconnectNeeded(message) from None
            raise
        answered = time.perf_counter()
        self._checkpoint("after_response")
        with self._engine.begin() as connection:
            run_sql(connection, "tokens/save_refreshed_tokens", client_key=client_key, now=int(self.clock()),
                    **self._encrypted(grant))
            self._checkpoint("during_write")
        self.unsaved_window_seconds = time.perf_counter() - answered
        if interrupted_at is not None:
            log.warning("client %s: an interrupted token refresh (started %s UTC) was recovered", client_key,
                        _utc(interrupted_at))
        log.info("client %s: Fortnox access renewed; the new refresh token is stored", client_key)
        return self.load(client_key)

    def _still_valid(self, stored: StoredTokens) -> bool:
        return stored.access_expires_at - ACCESS_TOKEN_MARGIN > self.clock()

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
            return secret(self._fernet.decrypt(value.encode()).decode())
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
            service_account=bool(row["service_account"]),
            scope=row["scope"] or "",
            access_token=self._decrypt(row["access_token_enc"], client_key),
            access_expires_at=row["access_expires_at"],
            refresh_token=self._decrypt(row["refresh_token_enc"], client_key),
            refresh_expires_at=row["refresh_expires_at"],
            connected_at=row["connected_at"],
            last_refresh_at=row["last_refresh_at"],
            last_error=row["last_error"],
            refresh_lease_owner=row["refresh_lease_owner"],
            refresh_lease_until=row["refresh_lease_until"],
            refresh_started_at=row["refresh_started_at"],
        )


class ClientTokens:
    """The bearer-token source of one client, for the HTTP layer."""

    def __init__(self, store: TokenStore, client_key: str):
        self._store = store
        self.client_key = client_key
        self._tenant_id: int | None = None

    @property
    def tenant_id(self) -> int | None:
        # A connection's tenant never changes; read once, not on every request.
        if self._tenant_id is None:
            stored = self._store.load(self.client_key)
            self._tenant_id = stored.tenant_id if stored else None
        return self._tenant_id

    def current(self) -> str:
        return self._store.access_token(self.client_key)

    def renew(self, refused_access_token: str) -> str:
        return self._store.refresh(self.client_key, stale_access_token=refused_access_token).access_token


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def _not_connected(client_key: str) -> ReconnectNeeded:
    return ReconnectNeeded(f"client {client_key} is not connected to Fortnox: run 'fortnox-etl connect {client_key}'")
