"""What every stage works with for one client: its staging database, the bureau's Fortnox app, the
client's tokens and API, and where its files go. Below the stages, so that each can use it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from fortnox_etl.config import APP_CONN_ID, OUT_DIR, STAGING_CONN_ID, Client, ConnectionSettings
from fortnox_etl.fortnox.api import FortnoxApi
from fortnox_etl.fortnox.oauth import FortnoxApp
from fortnox_etl.fortnox.rate_limit import REQUESTS_PER_WINDOW, SharedRateLimiter
from fortnox_etl.fortnox.token_store import ClientTokens, TokenStore, token_key_from_env
from fortnox_etl.staging.database import create_staging_engine, staging_url


@dataclass(frozen=True)
class ClientContext:
    client: Client
    engine: Engine
    app: FortnoxApp
    token_key: str
    out_dir: Path = OUT_DIR
    api_backoff: object = None  # tenacity wait strategy between retries; None: the HTTP layer's default
    requests_per_window: int = REQUESTS_PER_WINDOW  # Fortnox's limit per tenant and 5 s (a sandbox can lift it)

    @classmethod
    def create(cls, client: Client, connection: Callable[[str], ConnectionSettings],
               token_key: str | None = None, out_dir: Path = OUT_DIR) -> "ClientContext":
        """`connection(conn_id)` returns the settings of an Airflow connection (from Airflow or the environment)."""
        return cls(
            client=client,
            engine=create_staging_engine(staging_url(connection(STAGING_CONN_ID))),
            app=FortnoxApp.from_connection(connection(APP_CONN_ID)),
            token_key=token_key or token_key_from_env(),
            out_dir=Path(out_dir),
        )

    def tokens(self) -> TokenStore:
        return TokenStore(self.engine, self.token_key, self.app)

    def api(self) -> FortnoxApi:
        backoff = {"backoff": self.api_backoff} if self.api_backoff is not None else {}
        return FortnoxApi(self.app.api_url, ClientTokens(self.tokens(), self.client.key),
                          limiter=SharedRateLimiter(self.engine, self.requests_per_window), label=f"client {self.client.key}", **backoff)
