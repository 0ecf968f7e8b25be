"""Connection settings in Airflow's format, kept free of Airflow so the package runs without it."""
from __future__ import annotations

from dataclasses import dataclass, field

STAGING_CONN_ID = "fortnox_staging"
APP_CONN_ID = "fortnox_app"


@dataclass(frozen=True)
class ConnectionSettings:
    conn_id: str
    conn_type: str
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_airflow(cls, connection) -> "ConnectionSettings":
        """Copy the fields of an Airflow Connection (duck-typed, so this module never imports Airflow)."""
        return cls(
            conn_id=connection.conn_id,
            conn_type=connection.conn_type or "",
            host=connection.host,
            schema=connection.schema,
            login=connection.login,
            password=connection.password,
            port=connection.port,
            extra=connection.extra_dejson or {},
        )
