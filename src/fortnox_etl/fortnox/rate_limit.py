"""Fortnox's request budget per tenant, shared by every process of the installation.

Fortnox allows 25 requests per 5-second sliding window per app and tenant; we stay at 24 (public
SDKs still saw 429s at exactly 25). The budget lives in the staging database rather than an Airflow
pool: a pool caps concurrent task slots, not requests per second, and the command line talks to
Fortnox outside Airflow too. Every process that shares the staging database shares the budget.
"""
from __future__ import annotations

import time
import uuid

from sqlalchemy import Engine, text

from fortnox_etl.staging.database import run_sql, sql

REQUESTS_PER_WINDOW = 24
WINDOW_SECONDS = 5.0


class SharedRateLimiter:
    def __init__(self, engine: Engine, limit: int = REQUESTS_PER_WINDOW, window: float = WINDOW_SECONDS,
                 clock=time.time, sleep=time.sleep):
        self._engine = engine
        self._limit = limit
        self._window = window
        self._clock = clock
        self._sleep = sleep

    def acquire(self, tenant_id: int) -> str:
        """Wait until the tenant's window has room and take a place in it; returns the place's id."""
        request_id = uuid.uuid4().hex
        while True:
            wait = self._try_acquire(tenant_id, request_id)
            if wait <= 0:
                return request_id
            self._sleep(wait)

    def answered(self, request_id: str) -> None:
        """Move the request's place to now: Fortnox may have counted it as late as this."""
        with self._engine.begin() as connection:
            run_sql(connection, "rate_limit/request_answered", request_id=request_id, now=self._clock())

    def _try_acquire(self, tenant_id: int, request_id: str) -> float:
        with self._engine.begin() as connection:
            now = self._clock()
            params = {"tenant_id": tenant_id, "now": now, "window_start": now - self._window, "request_id": request_id}
            run_sql(connection, "rate_limit/ensure_tenant_row", **params)
            run_sql(connection, "rate_limit/lock_tenant_row", **params)
            run_sql(connection, "rate_limit/forget_old_requests", **params)
            used = connection.execute(text(sql("rate_limit/requests_in_window")), params).mappings().one()
            if used["requests"] < self._limit:
                run_sql(connection, "rate_limit/record_request", **params)
                return 0.0
            # The oldest request leaves the window first; a little slack absorbs clock jitter.
            return max(used["oldest"] + self._window - now, 0.0) + 0.01
