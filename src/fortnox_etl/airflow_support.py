"""What the DAG files share that needs Airflow: the retry policy of every Fortnox task and the
connection lookup. The only module of the package that imports Airflow; only DAG files import it."""
from __future__ import annotations

from airflow.sdk import Connection, ExceptionRetryPolicy, RetryAction, RetryRule

from fortnox_etl.checks import PeriodChecksFailed
from fortnox_etl.config import ConfigError
from fortnox_etl.connections import ConnectionSettings
from fortnox_etl.fortnox.errors import (
    FortnoxUnavailable,
    InvalidData,
    MissingScopeOrLicence,
    RateLimited,
    ReconnectNeeded,
    WrongCompany,
)
from fortnox_etl.fortnox.oauth import InvalidAppCredentials
from fortnox_etl.period import PeriodError
from fortnox_etl.sync import LedgersNotReady


def airflow_connection(conn_id: str) -> ConnectionSettings:
    """An Airflow connection's fields, for the package (which never imports Airflow itself)."""
    return ConnectionSettings.from_airflow(Connection.get(conn_id))


# Fail at once on what only a person can fix; back off and retry on what time fixes.
FORTNOX_RETRY_POLICY = ExceptionRetryPolicy(rules=[
    RetryRule(exception=[ReconnectNeeded, WrongCompany], action=RetryAction.FAIL,
              reason="the client must reconnect to Fortnox (fortnox-etl connect); retrying cannot help"),
    RetryRule(exception=MissingScopeOrLicence, action=RetryAction.FAIL,
              reason="the client's Fortnox lacks a licence or permission; retrying cannot help"),
    RetryRule(exception=[InvalidAppCredentials, ConfigError, PeriodError], action=RetryAction.FAIL,
              reason="the configuration is wrong; correct it and run again"),
    RetryRule(exception=PeriodChecksFailed, action=RetryAction.FAIL,
              reason="the books have errors; correct them in Fortnox and run the period again"),
    RetryRule(exception=LedgersNotReady, action=RetryAction.FAIL,
              reason="a step ran before the one it needs; run the whole period again"),
    RetryRule(exception=InvalidData, action=RetryAction.FAIL, reason="Fortnox refused the data; retrying cannot help"),
    RetryRule(exception=[RateLimited, FortnoxUnavailable], action=RetryAction.RETRY,
              reason="Fortnox is busy or unavailable; retrying with exponential back-off"),
])
