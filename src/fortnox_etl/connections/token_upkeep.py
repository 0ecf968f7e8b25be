"""Keeping connections alive: Fortnox's refresh tokens expire 45 days after their last use, and a customer can
revoke the integration or lose a licence at any time: the daily upkeep renews and confirms each connection."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time

from fortnox_etl.config import Client
from fortnox_etl.fortnox.client_context import ClientContext
from fortnox_etl.fortnox.errors import MissingScopeOrLicence, ReconnectNeeded, WrongCompany
from fortnox_etl.fortnox.token_store import TokenStore
from fortnox_etl.staging.database import create_schema

log = logging.getLogger(__name__)

RENEW_WITHIN_DAYS = 10
# The cheapest authorized request that needs the bookkeeping licence, which every sync needs: one short list
# (a company has a handful of financial years). It also refreshes an access token that has expired, which is
# where a revoked integration shows (issued access tokens live out their hour).
CONFIRMING_REQUEST = "/3/financialyears"
# What only the client can mend; recorded as the connection's last error.
_CONNECTION_LOST = (ReconnectNeeded, MissingScopeOrLicence, WrongCompany)


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
        log.info("client %s: the Fortnox refresh token is good for %.0f more days; not renewed yet", client_key, days_left)
        return False
    renewed = store.refresh(client_key, stale_access_token=stored.access_token)
    log.info("client %s: the Fortnox connection was renewed and is good for 45 days, until %s", client_key,
             time.strftime("%Y-%m-%d", time.gmtime(renewed.refresh_expires_at)))
    return True


def renew_and_confirm(ctx: ClientContext, within_days: int = RENEW_WITHIN_DAYS) -> bool:
    """The daily upkeep of one client's connection: renew it if its refresh token expires within `within_days`,
    then confirm it with one authorized request. A connection the client must mend (revoked, expired, a licence
    withdrawn) raises with what to do, and its reason is kept as the connection's last error; a confirmed one
    clears it. True if renewed."""
    tokens = ctx.tokens()
    key = ctx.client.key
    try:
        renewed = renew_if_expiring(tokens, key, within_days)
        ctx.api().get(CONFIRMING_REQUEST)
    except _CONNECTION_LOST as error:
        tokens.set_last_error(key, str(error))
        raise
    tokens.set_last_error(key, None)
    stored = tokens.load(key)
    good_for = (f"good for {(stored.refresh_expires_at - time.time()) / 86400:.0f} more days"
                if stored.refresh_expires_at else "a service account, with no refresh token to keep alive")
    log.info("client %s: the Fortnox connection is confirmed (GET %s answered) and %s", key, CONFIRMING_REQUEST,
             good_for)
    return renewed


def confirm_every_connection(ctx: ClientContext, clients: list[Client]) -> list[Client]:
    """The daily upkeep of every client's connection, one after another in one task (`ctx` is any client's:
    the staging database and the bureau's app are shared). Returns the clients whose upkeep failed, whatever
    the cause, each to be tried again in a task of its own that retries, stays red and tells: one client's
    failure never keeps the others from being renewed."""
    failed = []
    for client in clients:
        try:
            renew_and_confirm(dataclasses.replace(ctx, client=client))
        except Exception as error:
            failed.append(client)
            log.warning("client %s: the connection's upkeep failed (%s: %s); it is tried again in a task of its "
                        "own, renew [%s], whose log says what to do", client.key, type(error).__name__, error,
                        client.key)
    log.info("%d of %d Fortnox connections confirmed%s", len(clients) - len(failed), len(clients),
             f"; {len(failed)} tried again one by one: {', '.join(c.key for c in failed)}" if failed else "")
    return failed


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
