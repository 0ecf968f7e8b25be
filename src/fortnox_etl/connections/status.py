"""`fortnox-etl status`: one line per client on its Fortnox connection, never a token."""
from __future__ import annotations

import time
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import Engine, text

from fortnox_etl.config import Client, ConfigError
from fortnox_etl.fortnox.token_store import StoredTokens, TokenStore
from fortnox_etl.sie.import_source import active_import_sources
from fortnox_etl.staging.database import sql

NONE = "—"
UNREADABLE = "unreadable"
DAY = 24 * 3600


@dataclass(frozen=True)
class ClientStatus:
    client: str
    connected: str
    company: str
    tenant: str
    scopes: str
    access_token_expires: str
    refresh_token_expires: str
    reconnect_in: str
    last_refresh: str
    import_source: str  # per financial year with a recorded import: fortnox, or the imported file
    checks: str  # the checked periods whose error checks failed, which gates them; else the last one checked
    last_error: str


HEADINGS = ("CLIENT", "CONNECTED", "COMPANY", "TENANT", "SCOPES", "ACCESS TOKEN EXPIRES", "REFRESH TOKEN EXPIRES",
            "RECONNECT IN", "LAST REFRESH", "IMPORT SOURCE", "CHECKS", "LAST ERROR")


def client_statuses(engine: Engine, tokens: TokenStore, clients: list[Client], now: float | None = None) -> list[ClientStatus]:
    now = time.time() if now is None else now
    with engine.connect() as connection:
        company_names = dict(connection.execute(text(sql("connect/select_company_names"))).all())
        checked = connection.execute(text(sql("checks/select_errors_by_period"))).all()
    sources = active_import_sources(engine)
    return [
        _status(client, tokens, company_names.get(client.key) or NONE, now,
                ", ".join(map(str, sources.get(client.key, []))) or NONE,
                _checks([(str(end)[:10], errors) for key, end, errors in checked if key == client.key]))
        for client in clients
    ]


def _checks(periods: list[tuple[str, int]]) -> str:
    """"2 errors for the period ending 2025-12-31, ...", or the last period checked without any."""
    gated = [f"{errors} error{'s' if errors != 1 else ''} for the period ending {end}" for end, errors in periods if errors]
    if gated:
        return ", ".join(gated)
    return f"no errors (last: the period ending {periods[-1][0]})" if periods else NONE


def _status(client: Client, tokens: TokenStore, company: str, now: float, import_source: str,
            checks: str) -> ClientStatus:
    try:
        stored = tokens.load(client.key)
    except ConfigError as error:  # tokens stored under another key: show it on the client's line
        return ClientStatus(client.key, UNREADABLE, company, _tenant(client.tenant_id), NONE, NONE, NONE, NONE, NONE,
                            import_source, checks, str(error))
    if stored is None:
        return ClientStatus(client.key, "no", company, _tenant(client.tenant_id), NONE, NONE, NONE,
                            f"now: fortnox-etl connect {client.key}", NONE, import_source, checks, NONE)
    return ClientStatus(
        client=client.key,
        connected="yes, service account" if stored.service_account else "yes",
        company=company,
        tenant=_tenant(stored.tenant_id),
        scopes=stored.scope or NONE,
        access_token_expires=_time(stored.access_expires_at),
        refresh_token_expires=_time(stored.refresh_expires_at),
        reconnect_in=_reconnect_in(client, stored, now),
        last_refresh=_time(stored.last_refresh_at) if stored.last_refresh_at else "never",
        import_source=import_source,
        checks=checks,
        last_error=stored.last_error or NONE,
    )


def _reconnect_in(client: Client, stored: StoredTokens, now: float) -> str:
    if stored.service_account:
        return "not needed"  # client credentials need no refresh token that could expire
    if not stored.refresh_expires_at or stored.refresh_expires_at <= now:
        return f"now: fortnox-etl connect {client.key}"
    days = int((stored.refresh_expires_at - now) // DAY)
    return f"{days} day" if days == 1 else f"{days} days"


def _tenant(tenant_id: int | None) -> str:
    return str(tenant_id) if tenant_id is not None else NONE


def _time(timestamp: float | None) -> str:
    if not timestamp:
        return NONE
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def format_table(statuses: list[ClientStatus]) -> str:
    return aligned([HEADINGS] + [astuple(status) for status in statuses])


def aligned(rows: list[tuple[str, ...]]) -> str:
    """Aligned columns; the last (an error or reason) is not padded, as it may be long. The outbox's listing
    (`fortnox-etl vouchers list`) looks the same."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]).rstrip() for row in rows
    )
