"""Connection settings in Airflow's format, readable with or without Airflow.

Inside a task the fields come from an Airflow Connection object; from the command line they
come from the same AIRFLOW_CONN_<ID> environment variable Airflow reads (JSON or URI form),
so an operator configures one thing in one place.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from fortnox_etl.config import ConfigError

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

    @classmethod
    def from_env(cls, conn_id: str) -> "ConnectionSettings":
        variable = f"AIRFLOW_CONN_{conn_id.upper()}"
        raw = os.environ.get(variable)
        if not raw:
            raise ConfigError(
                f"connection '{conn_id}' is not configured: set {variable} (JSON or URI, as for Airflow); "
                "see README, 'Configuration'"
            )
        if raw.lstrip().startswith("{"):
            try:
                fields = json.loads(raw)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{variable} is not valid JSON: {error.msg} at character {error.pos}") from None
            return cls(
                conn_id=conn_id,
                conn_type=fields.get("conn_type", ""),
                host=fields.get("host"),
                schema=fields.get("schema"),
                login=fields.get("login"),
                password=fields.get("password"),
                port=fields.get("port"),
                extra=fields.get("extra") or {},
            )
        parts = urlsplit(raw)
        return cls(
            conn_id=conn_id,
            conn_type=parts.scheme.replace("-", "_").replace("postgresql", "postgres"),
            host=unquote(parts.hostname or "") or None,
            schema=unquote(parts.path.lstrip("/")) or None,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            port=parts.port,
            extra=dict(parse_qsl(parts.query)),
        )
