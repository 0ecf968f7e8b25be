"""Keeping refresh tokens alive: Fortnox's expire 45 days after their last use."""
from __future__ import annotations

import datetime as dt
import logging
import time

from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.fortnox.errors import ReconnectNeeded
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.staging.database import create_schema

log = logging.getLogger(__name__)

RENEW_WITHIN_DAYS = 10


def renew_if_expiring(store: TokenStore, client_key: str, within_days: int = RENEW_WITHIN_DAYS) -> bool:
    """Renew the client's tokens if the refresh token expires within `within_days`; True if renewed."""
    stored = store.load(client_key)
    if stored is None:
        raise ReconnectNeeded(f"client {client_key} is not connected to Fortnox: run 'fortnox-etl connect {client_key}'")
    if stored.service_account:
        log.info("client %s: connected as a service account; there is no refresh token to keep alive", client_key)
        return False
    days_left = (stored.refresh_expires_at - store.clock()) / 86400
    if days_left <= 0:
        raise ReconnectNeeded(f"client {client_key}: the Fortnox refresh token expired {-days_left:.0f} days ago; "
                              f"the client must reconnect ('fortnox-etl connect {client_key}')")
    if days_left > within_days:
        log.info("client %s: the Fortnox connection is good for %.0f more days; nothing to do", client_key, days_left)
        return False
    renewed = store.refresh(client_key, stale_access_token=stored.access_token)
    log.info("client %s: the Fortnox connection was renewed and is good for 45 days, until %s", client_key,
             time.strftime("%Y-%m-%d", time.gmtime(renewed.refresh_expires_at)))
    return True


def keep_tokens_alive(ctx: ClientContext) -> None:
    """Create the staging tables if needed and make sure the client's Fortnox access works."""
    create_schema(ctx.engine)
    tokens = ctx.tokens()
    tokens.access_token(ctx.client.key)
    stored = tokens.load(ctx.client.key)
    days_left = (stored.refresh_expires_at - time.time()) / 86400 if stored.refresh_expires_at else None
    log.info(
        "client %s: Fortnox access is valid until %s UTC%s",
        ctx.client.key,
        dt.datetime.fromtimestamp(stored.access_expires_at, dt.UTC).strftime("%Y-%m-%d %H:%M"),
        f"; the client must reconnect within {days_left:.0f} days unless a sync runs before then" if days_left else "",
    )
